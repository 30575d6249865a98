"""merge the parallel branches of the history (sessions, replies and nudges, and the rest of this round)

Revision ID: 0010
Revises: 0009o, 0009r, 0009s, 0009t
Create Date: 2026-11-30 15:35:00

Nothing to change: each branch enabled row-level security on the tables it added.
"""

revision = "0010"
down_revision = ("0009o", "0009r", "0009s", "0009t")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
