"""replies and nudges: clients' replies per delivery, a message's follow-up, and the nudges sent once per occurrence

Revision ID: 0009r
Revises: 0008
Create Date: 2026-11-30 14:30:00

New tables get row-level security with no policy, as in 0008: through the Data API `anon` and `authenticated`
read and write none of their rows.
"""

import sqlalchemy as sa
from alembic import op

from services.db.row_security import secure_tables

revision = "0009r"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW_TABLES = ("message_follow_ups", "replies", "nudges", "nudge_sends")


def upgrade() -> None:
    op.create_index("ix_deliveries_client_sent", "deliveries", ["client_id", "sent_at"])
    with op.batch_alter_table("inbox_messages") as batch:
        batch.add_column(sa.Column("from_client", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "message_follow_ups",
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("delay_seconds", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("delay_seconds > 0", name=op.f("ck_message_follow_ups_delay_positive")),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 5000", name=op.f("ck_message_follow_ups_body_length")),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["scheduled_messages.id"],
            name=op.f("fk_message_follow_ups_message_id_scheduled_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_follow_ups")),
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("replied_at", sa.DateTime(), nullable=False),
        sa.Column("seconds_to_reply", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("seconds_to_reply >= 0", name=op.f("ck_replies_seconds_to_reply")),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_replies_delivery_id_deliveries"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["scheduled_messages.id"],
            name=op.f("fk_replies_message_id_scheduled_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["accounts.id"], name=op.f("fk_replies_coach_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_replies_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_replies_delivery_id")),
    )
    op.create_index("ix_replies_coach_id", "replies", ["coach_id"])
    op.create_index("ix_replies_message_slot", "replies", ["message_id", "slot"])
    op.create_table(
        "nudges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("qstash_message_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sent', 'cancelled', 'skipped')", name=op.f("ck_nudges_status")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["scheduled_messages.id"],
            name=op.f("fk_nudges_message_id_scheduled_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["accounts.id"], name=op.f("fk_nudges_coach_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudges")),
        sa.UniqueConstraint("message_id", "slot", "zone", name="uq_nudges_message_slot_zone"),
    )
    op.create_index("ix_nudges_coach_id", "nudges", ["coach_id"])
    op.create_table(
        "nudge_sends",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("nudge_id", sa.String(length=36), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("chat_message_id", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_retried", sa.Integer(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'skipped')", name=op.f("ck_nudge_sends_status")
        ),
        sa.ForeignKeyConstraint(
            ["nudge_id"], ["nudges.id"], name=op.f("fk_nudge_sends_nudge_id_nudges"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name=op.f("fk_nudge_sends_delivery_id_deliveries"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_nudge_sends_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudge_sends")),
        sa.UniqueConstraint("nudge_id", "delivery_id", name="uq_nudge_sends_nudge_delivery"),
    )
    secure_tables(op, NEW_TABLES)


def downgrade() -> None:
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    with op.batch_alter_table("inbox_messages") as batch:
        batch.drop_column("from_client")
    op.drop_index("ix_deliveries_client_sent", table_name="deliveries")
