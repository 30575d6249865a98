"""Through a transaction pooler (Supabase's, PgBouncer in tests) the store keeps working: nothing is prepared on a
server connection the next transaction may not get, and nothing relies on session state."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from services.store import Store
from tests import factories, pg

# PostgreSQL directly and through PgBouncer (SQLite's single pooled connection cannot be held twice).
pytestmark = pytest.mark.parametrize("db_url", pg.POSTGRES_PARAMS, indirect=True)


def test_connections_taking_turns_run_the_same_statement_many_times(engine):
    """Two pooled connections alternate transactions, each running one statement past psycopg's prepare threshold
    (5): behind a transaction pooler they share one server connection, so a prepared statement would collide."""
    first, second = engine.connect(), engine.connect()
    try:
        for n in range(12):
            for conn in (first, second):
                with conn.begin():
                    assert conn.execute(text("SELECT :n + 1"), {"n": n}).scalar_one() == n + 1
    finally:
        first.close()
        second.close()


def test_the_store_from_several_threads(engine, clock):
    """The store's own reads and writes, repeated from concurrent threads as the webhook's workers run them."""
    store = Store(engine, clock)
    coach = factories.coach(store)
    [client] = factories.clients(store, coach, [("Ann A", "UTC", [])])

    def work(n: int) -> str:
        store.accounts.find_by_email(coach.email)
        store.clients.update(coach.as_actor(), client.id, f"Ann {n}", "UTC", ["vip"])
        return store.clients.get(coach.as_actor(), client.id).name

    with ThreadPoolExecutor(max_workers=6) as pool:
        names = list(pool.map(work, range(60)))
    assert all(name.startswith("Ann ") for name in names)
