"""quiet hours and a daily cap per client: the coach's rules, a message's quiet-hours choice, the per-day counter

Revision ID: 0011q
Revises: 0010
Create Date: 2026-11-30 15:45:00

New tables get row-level security with no policy, as in 0008.
"""

import sqlalchemy as sa
from alembic import op

from services.db.row_security import secure_tables

revision = "0011q"
down_revision = "0010"
branch_labels = None
depends_on = None

NEW_TABLES = ("coach_send_rules", "client_day_counts")


def upgrade() -> None:
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.add_column(sa.Column("quiet_action", sa.String(length=8), nullable=False, server_default="hold"))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("counted_day", sa.String(length=10), nullable=True))
    op.create_table(
        "coach_send_rules",
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.CheckConstraint("(quiet_start IS NULL) = (quiet_end IS NULL)", name=op.f("ck_coach_send_rules_quiet_pair")),
        sa.CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name=op.f("ck_coach_send_rules_daily_cap")),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["accounts.id"], name=op.f("fk_coach_send_rules_coach_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("coach_id", name=op.f("pk_coach_send_rules")),
    )
    op.create_table(
        "client_day_counts",
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_client_day_counts_client_id_clients"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("client_id", "day", name=op.f("pk_client_day_counts")),
    )
    secure_tables(op, NEW_TABLES)


def downgrade() -> None:
    op.drop_table("client_day_counts")
    op.drop_table("coach_send_rules")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("counted_day")
    with op.batch_alter_table("scheduled_messages") as batch:
        batch.drop_column("quiet_action")
