"""A database connection the server dropped (restart, pg_terminate_backend, idle timeout) never fails a request.

The pool does not pre-ping on every checkout; it discards connections the server has closed when it hands them
out (services/db/dropped.py). Directly and through PgBouncer in transaction mode.
"""

import pytest
import requests
from sqlalchemy import create_engine, text

from tests import factories, pg
from tests.webhook.test_fanout import _fire, _inbox

pytestmark = pytest.mark.parametrize("db_url", pg.POSTGRES_PARAMS, indirect=True)


def _terminate_other_sessions(database_url: str) -> int:
    """End every other session on this test database (the app's pooled ones, or PgBouncer's); how many."""
    admin = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.connect() as conn:
            # With a timeout, pg_terminate_backend returns only once each session has ended.
            return conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()


def test_requests_after_the_server_killed_the_pooled_connections_succeed(product, coach_with_clients, postgres_url):
    """The webhook has warm pooled connections; the server ends them all; the next requests still answer 200."""
    coach, _ = coach_with_clients
    first = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))
    assert _fire(product, first).status_code == 200
    assert _terminate_other_sessions(postgres_url) >= 1
    assert requests.get(product.webhook_url.rsplit("/api/", 1)[0] + "/healthz", timeout=10).status_code == 200
    second = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))
    assert _fire(product, second, qstash_id="msg_2").status_code == 200
    assert len(_inbox(product, coach)) == 6  # three active clients, twice
