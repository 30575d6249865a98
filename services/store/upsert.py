"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(conn, table: Table, rows: list[dict], count_where=None) -> int:
    """Insert rows, silently keeping existing ones; returns how many were new.

    With `count_where`, one executemany (its compiled form is cached) and a count of the rows matching
    before and after; without it, RETURNING counts (fine for a single row).
    """
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing()
    if count_where is None:
        key = next(iter(table.primary_key.columns))
        return len(conn.execute(statement.values(rows).returning(key)).all())
    count = select(func.count()).select_from(table).where(count_where)
    before = conn.scalar(count)
    conn.execute(statement, rows)
    return conn.scalar(count) - before
