"""alerts (one open row per condition) and dead_letters (QStash's failure callbacks), both with row-level security

Revision ID: 0009o
Revises: 0008
Create Date: 2026-11-30 14:20:00
"""

import sqlalchemy as sa
from alembic import op

from services.db.row_security import secure_tables

revision = "0009o"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW_TABLES = ("alerts", "dead_letters")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.Column("open_key", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("last_notified", sa.DateTime(), nullable=True),
        sa.Column("notice_due", sa.String(length=8), nullable=True),
        sa.CheckConstraint(
            "notice_due IS NULL OR notice_due IN ('opened', 'resolved')", name=op.f("ck_alerts_notice_due")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alerts_open_key")),
    )
    op.create_index("ix_alerts_opened_at", "alerts", ["opened_at"])
    op.create_table(
        "dead_letters",
        sa.Column("qstash_message_id", sa.String(length=128), nullable=False),
        sa.Column("dlq_id", sa.String(length=128), nullable=True),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("slot", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("qstash_message_id", name=op.f("pk_dead_letters")),
    )
    op.create_index(op.f("ix_dead_letters_message_id"), "dead_letters", ["message_id"])
    secure_tables(op, NEW_TABLES)


def downgrade() -> None:
    op.drop_table("dead_letters")
    op.drop_table("alerts")
