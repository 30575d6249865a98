"""test_sends and test_send_gates: "Send a test to me" on the Message Scheduler, kept apart from deliveries

Revision ID: 0009t
Revises: 0008
Create Date: 2026-11-30 14:20:00

Both tables get row-level security with no policy, like 0008 does: through Supabase's Data API `anon` and
`authenticated` read and write none of their rows.
"""

import sqlalchemy as sa
from alembic import op

from services.db.row_security import secure_tables

revision = "0009t"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW_TABLES = ("test_sends", "test_send_gates")


def upgrade() -> None:
    op.create_table(
        "test_sends",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("chat_message_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('sending', 'sent', 'failed')", name=op.f("ck_test_sends_status")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_test_sends_client_id_clients"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["accounts.id"], name=op.f("fk_test_sends_coach_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sends")),
    )
    op.create_index("ix_test_sends_coach_id_created_at", "test_sends", ["coach_id", "created_at"], unique=False)
    op.create_table(
        "test_send_gates",
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["accounts.id"], name=op.f("fk_test_send_gates_coach_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("coach_id", name=op.f("pk_test_send_gates")),
    )
    secure_tables(op, NEW_TABLES)


def downgrade() -> None:
    op.drop_table("test_send_gates")
    op.drop_index("ix_test_sends_coach_id_created_at", table_name="test_sends")
    op.drop_table("test_sends")
