"""scheduled_messages.deleted_at: a cancelled or completed message can be deleted from the lists while its
delivery history (runs and deliveries, which cascade on a real delete) is kept

Revision ID: 0006d
Revises: 0005
Create Date: 2026-11-30 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006d"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.drop_column("deleted_at")
