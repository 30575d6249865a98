"""merge the parallel branches of the history; row-level security on the tables they added

Revision ID: 0008
Revises: 0006, 0006s, 0008d
Create Date: 2026-11-30 13:20:00

0006s enabled row-level security on every table that existed then and revoked the Supabase API roles' grants
(also their default privileges, so the roles get nothing on later tables). Tables added beside it get RLS here
too, with no policy: through the Data API `anon` and `authenticated` read and write none of their rows.
"""

from alembic import op

from services.db.row_security import secure_tables, unsecure_tables

revision = "0008"
down_revision = ("0006", "0006s", "0008d")
branch_labels = None
depends_on = None

NEW_TABLES = ("message_templates", "delivery_counts")


def upgrade() -> None:
    secure_tables(op, NEW_TABLES)


def downgrade() -> None:
    unsecure_tables(op, NEW_TABLES)
