"""row-level security on every table, the Supabase API roles' default grants revoked, coach-scoped read policies

Revision ID: 0006s
Revises: 0005
Create Date: 2026-11-30 13:00:00

A second wall behind the app's own scoping, for Supabase, whose Data API (PostgREST) exposes every table in
`public` to the `anon` and `authenticated` roles, granted ALL by default privileges:

* every table (and alembic_version) gets ROW LEVEL SECURITY, on PostgreSQL only (SQLite has none);
* what `anon` and `authenticated` hold on these tables is revoked, and so are the default privileges that would
  grant them the next table this role creates (only where those roles exist);
* where Supabase Auth is present (`authenticated` and `auth.uid()` exist), `authenticated` may SELECT the tables
  a coach may one day read through the API, and a policy shows only the rows of the active account whose
  `auth_user_id` is `auth.uid()` (the app records it at each Supabase sign-in; accounts without the password hash).
  Writes stay with the app: no API role may insert, update or delete anything.

Not FORCE ROW LEVEL SECURITY: the app connects as the tables' owner (`postgres` on Supabase), which owners' exemption
lets through, as superusers and BYPASSRLS roles always are. Forcing it would need an allow-everything policy for the
owner on every table: the same access, one more check per row on the webhook's hot path, and no protection, since
the owner can switch RLS off again. The wall is against the API roles; the app keeps its own per-coach scoping.

The downgrade removes the policies, the grants to `authenticated` and RLS, but never grants anything back to the
API roles: going back a revision must not re-open the Data API.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006s"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = (
    "accounts",
    "clients",
    "client_tags",
    "scheduled_messages",
    "message_recipients",
    "qstash_links",
    "delivery_runs",
    "deliveries",
    "audit_events",
    "inbox_messages",
    "signature_ids",
    "sign_in_failures",
    "alembic_version",
)
# The account row auth.uid() signs in as, if active. (SELECT auth.uid()) is evaluated once per statement.
OWN_ACCOUNT = "SELECT a.id FROM accounts a WHERE a.auth_user_id = (SELECT auth.uid())::text AND a.active"
# Tables a coach may one day read through the API, and which rows are theirs.
COACH_POLICIES = {
    "accounts": "auth_user_id = (SELECT auth.uid())::text AND active",
    "clients": f"coach_id IN ({OWN_ACCOUNT})",
    "client_tags": "client_id IN (SELECT c.id FROM clients c)",  # clients' own policy applies inside
    "scheduled_messages": f"coach_id IN ({OWN_ACCOUNT})",
    "message_recipients": "message_id IN (SELECT m.id FROM scheduled_messages m)",
    "delivery_runs": f"coach_id IN ({OWN_ACCOUNT})",
    "deliveries": f"coach_id IN ({OWN_ACCOUNT})",
    "audit_events": f"coach_id IN ({OWN_ACCOUNT})",
}
# accounts without password_hash and sessions_valid_after.
ACCOUNT_COLUMNS = "id, email, display_name, timezone, role, chat_user_id, active, created_at, auth_user_id"
POLICY = "coach_reads_own_rows"


def _grant_select(table: str) -> str:
    """The SELECT grant behind a table's policy."""
    if table == "accounts":
        return f"GRANT SELECT ({ACCOUNT_COLUMNS}) ON accounts TO authenticated;"
    return f"GRANT SELECT ON {table} TO authenticated;"


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("auth_user_id", sa.String(length=36), nullable=True))
        batch.create_unique_constraint("uq_accounts_auth_user_id", ["auth_user_id"])
    if op.get_context().dialect.name != "postgresql":
        return
    everything = ", ".join(TABLES)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    # DO blocks, not Python checks, so `alembic upgrade --sql` emits SQL that decides on the server it runs on.
    for role in ("anon", "authenticated"):
        op.execute(
            f"""DO $$
BEGIN
  IF to_regrole('{role}') IS NOT NULL THEN
    REVOKE ALL ON {everything} FROM {role};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {role};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {role};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM {role};
  END IF;
END $$"""
        )
    policies = "\n    ".join(
        f"{_grant_select(table)}\n    CREATE POLICY {POLICY} ON {table} FOR SELECT TO authenticated USING ({using});"
        for table, using in COACH_POLICIES.items()
    )
    # Without Supabase Auth (or without the right to use it) no policy is made: authenticated then sees nothing.
    op.execute(
        f"""DO $$
BEGIN
  IF to_regrole('authenticated') IS NOT NULL
     AND EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = 'auth' AND p.proname = 'uid' AND p.pronargs = 0)
     AND has_schema_privilege('auth', 'USAGE') THEN
    {policies}
  END IF;
END $$"""
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in COACH_POLICIES:
            op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(
            f"""DO $$
BEGIN
  IF to_regrole('authenticated') IS NOT NULL THEN
    REVOKE ALL ON {", ".join(COACH_POLICIES)} FROM authenticated;
    REVOKE SELECT ({ACCOUNT_COLUMNS}) ON accounts FROM authenticated;
  END IF;
END $$"""
        )
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_auth_user_id", type_="unique")
        batch.drop_column("auth_user_id")
