"""EXPLAIN checks over a filled PostgreSQL database: the statements a piece of code sends, and their plans."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event, text

from bench.log_fill import fill
from services.db.engine import make_engine
from services.db.schema import metadata
from services.store import Store
from tests import factories


@contextmanager
def filled_store(postgres_url: str, clock):
    """A store over 50,000 deliveries (2 coaches, 400 clients, 2,000 messages over 90 days) and its coaches and
    support account: (store, coaches, support)."""
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in metadata.sorted_tables) + " CASCADE"))
    store = Store(engine, clock)
    coaches = (factories.coach(store), factories.coach(store, email="b@example.com"))
    support = factories.account(store, "s@example.com", "Sky", "support", "UTC")
    fill(engine, (coaches[0].id, coaches[1].id), datetime.now(UTC), clients=400, messages=2000, per=25, days=90)
    try:
        yield store, coaches, support
    finally:
        engine.dispose()


@contextmanager
def statements_about_deliveries(engine):
    """Collect (statement, parameters) of every statement naming a deliveries table while the block runs."""
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "deliver" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def assert_no_scan_of_deliveries(engine, statements) -> None:
    """EXPLAIN each statement: none may read the deliveries table sequentially."""
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "Seq Scan on deliveries" not in plan, f"{statement}\n{plan}"
