"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL alike."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

CHUNK = 500  # rows per statement: keeps SQLite under its bound-parameter limit


def insert_ignoring_conflicts(conn, table: Table, rows: list[dict]) -> int:
    """Insert rows, silently keeping existing ones; returns how many were new."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    created = 0
    key = list(table.primary_key.columns)[0]
    # RETURNING counts what was new: not every driver reports rowcount for INSERT ... ON CONFLICT.
    for start in range(0, len(rows), CHUNK):
        statement = dialect.insert(table).values(rows[start:start + CHUNK]).on_conflict_do_nothing().returning(key)
        created += len(conn.execute(statement).all())
    return created
