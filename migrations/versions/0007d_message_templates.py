"""message_templates: a coach's saved texts for the compose form

Revision ID: 0007d
Revises: 0006d
Create Date: 2026-11-30 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007d"
down_revision = "0006d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 5000", name=op.f("ck_message_templates_body_length")),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["accounts.id"], name=op.f("fk_message_templates_coach_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("coach_id", "name", name="uq_message_templates_coach_name"),
    )


def downgrade() -> None:
    op.drop_table("message_templates")
