"""Row-level security for tables a migration adds (as 0006s did for the first ones): RLS on with no policy, and
the Supabase API roles' grants revoked, so through the Data API `anon` and `authenticated` reach none of the rows.
PostgreSQL only; elsewhere nothing happens."""

from __future__ import annotations

from collections.abc import Sequence

API_ROLES = ("anon", "authenticated")


def secure_tables(op, tables: Sequence[str]) -> None:
    """Enable RLS on the tables and revoke every API role's grants on them (roles that do not exist are skipped)."""
    if op.get_context().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    names = ", ".join(tables)
    for role in API_ROLES:
        op.execute(
            f"""DO $$
BEGIN
  IF to_regrole('{role}') IS NOT NULL THEN
    REVOKE ALL ON {names} FROM {role};
  END IF;
END $$"""
        )


def unsecure_tables(op, tables: Sequence[str]) -> None:
    """Disable RLS on the tables again (a downgrade)."""
    if op.get_context().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
