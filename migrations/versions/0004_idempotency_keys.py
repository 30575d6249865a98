"""scheduled_messages.idempotency_key: one message per compose-form submission

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_scheduled_messages_coach_idempotency", ["coach_id", "idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.drop_constraint("uq_scheduled_messages_coach_idempotency", type_="unique")
        batch.drop_column("idempotency_key")
