"""drop ix_deliveries_coach_id: the Delivery Log's (coach_id, updated_at DESC, id) index leads with coach_id

Revision ID: 0012
Revises: 0011q
Create Date: 2026-11-30 21:10:00

Every query that filtered deliveries by coach (the log, reports, replies, a coach's deletion cascading) can use
the composite index, so the single-column one only cost writes: a delivery is written at least twice (claimed,
then sent), and PostgreSQL adds an entry to every index of the table on each write.
"""

from alembic import op

revision = "0012"
down_revision = "0011q"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_coach_id", table_name="deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_coach_id", "deliveries", ["coach_id"], unique=False)
