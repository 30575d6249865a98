"""indexes in the Delivery Log's sort order: (coach_id, updated_at DESC, id) and (updated_at DESC, id)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_coach_updated_id", "deliveries", ["coach_id", sa.text("updated_at DESC"), "id"], unique=False
    )
    op.create_index("ix_deliveries_updated_id", "deliveries", [sa.text("updated_at DESC"), "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_updated_id", table_name="deliveries")
    op.drop_index("ix_deliveries_coach_updated_id", table_name="deliveries")
