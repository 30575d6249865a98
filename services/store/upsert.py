"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(conn, table: Table, rows: list[dict]) -> int:
    """Insert rows, silently keeping existing ones; returns how many were new."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    result = conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)
    return max(result.rowcount, 0)
