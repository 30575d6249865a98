"""Row-level security for tables added after migration 0006s: enabled with no policy, no Supabase API grants."""

from __future__ import annotations


def secure_new_tables(op, tables: tuple[str, ...]) -> None:
    """Enable RLS on the tables and revoke what `anon` and `authenticated` hold on them (PostgreSQL only)."""
    if op.get_context().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    names = ", ".join(tables)
    for role in ("anon", "authenticated"):
        # The roles exist only on Supabase (and in the RLS test); the same SQL must run on any PostgreSQL.
        op.execute(
            f"""DO $$
BEGIN
  IF to_regrole('{role}') IS NOT NULL THEN
    REVOKE ALL ON {names} FROM {role};
  END IF;
END $$"""
        )
