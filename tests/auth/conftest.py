"""Fixtures: a Supabase Auth stand-in on a clock the test moves, the SDK pointed at it, and a real store."""

from __future__ import annotations

import shutil
import time

import pytest

from services.db.engine import make_engine
from services.store import Store
from tests.supabase_standin import SupabaseAuthStandIn


class Moment:
    """Epoch seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move forward."""
        self.now += seconds


@pytest.fixture
def moment():
    """The stand-in's clock."""
    return Moment()


@pytest.fixture
def auth_server(moment):
    """A running Supabase Auth stand-in with a confirmed coach and an unconfirmed newcomer."""
    with SupabaseAuthStandIn(clock=moment) as running:
        running.add_user("coach@example.com", "coach-password-1")
        running.add_user("new@example.com", "newcomer-password", confirmed=False)
        yield running


@pytest.fixture
def sdk(auth_server):
    """The official client, configured as the product configures it."""
    from supabase import ClientOptions, create_client

    client = create_client(
        auth_server.url, auth_server.anon_key, ClientOptions(auto_refresh_token=False, persist_session=False)
    )
    yield client
    client.auth.close()


@pytest.fixture
def sqlite_store(tmp_path, sqlite_template, clock):
    """A migrated SQLite store (the Supabase path does not depend on the database kind)."""
    path = tmp_path / "auth.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Store(engine, clock)
    engine.dispose()
