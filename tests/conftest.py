"""Shared fixtures: a real store on SQLite and PostgreSQL, a settable clock, and the product's services."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.db.engine import make_engine, migrate
from services.db.schema import metadata
from tests import pg

# Modules whose tests must run on one pytest-xdist worker: they share a costly module-scoped fixture.
SHARED_WORKER_MODULES = ("tests/e2e/test_make_run.py", "tests/store/test_row_level_security.py")


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """With `-n N`: hand out tests one at a time (the slowest cannot pile up on one worker), except that each
    module of SHARED_WORKER_MODULES goes to a single worker whole. (xdist's `--dist loadgroup` would do this by
    rewriting node ids, which pytest 9.2 no longer allows; its marks are silently ignored.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneTestOrOneSharedModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in SHARED_WORKER_MODULES else nodeid

    return OneTestOrOneSharedModule(config, log)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """Argon2 at its lowest cost in this process: real hashes and real checks, about 1 ms instead of about 250 ms
    each (the demo seed alone hashes four passwords, every login checks one). Product processes the tests start
    (CLI, `make run`, the browser story) keep the product's parameters; their hashes still verify here."""
    from argon2 import PasswordHasher

    from services import auth

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        """Move forward and return the new time."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock():
    """Starts at a fixed, DST-free instant: 2027-01-15 12:00 UTC."""
    return FakeClock(datetime(2027, 1, 15, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh, migrated PostgreSQL database for this session, dropped at its end; CI fails rather than skips."""
    problem = pg.reachable()
    if problem:
        if os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL required but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    url = pg.create_database()  # this session's own (under xdist: this worker's own)
    try:
        migrate(url)
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture(scope="session")
def pgbouncer_url(postgres_url):
    """This session's PostgreSQL database (created and migrated directly) reached through PgBouncer in transaction
    pool mode, as the app reaches Supabase's pooler; CI fails rather than skips without it."""
    url = pg.through_pooler(postgres_url)
    problem = pg.reachable(url)
    if problem:
        if os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
            pytest.fail(f"PgBouncer required but unreachable: {problem} (start it with .ci/pgbouncer start)")
        pytest.skip(f"PgBouncer unreachable: {problem}")
    return url


@pytest.fixture(params=["sqlite", *pg.POSTGRES_PARAMS])
def db_url(request, tmp_path, sqlite_template):
    """Each store test runs on SQLite, on PostgreSQL, and on PostgreSQL through a transaction pooler."""
    if request.param == "sqlite":
        path = tmp_path / "store.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    with engine.begin() as conn:  # start from empty tables
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()
    return request.getfixturevalue("pgbouncer_url") if request.param == "pgbouncer" else url


@pytest.fixture
def engine(db_url):
    """An engine over the test database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine, clock):
    """The real store."""
    from services.store import Store

    return Store(engine, clock)


@pytest.fixture
def product(db_url, tmp_path):
    """The running product (local QStash → webhook → local inbox) over the parametrized database."""
    from tests.harness import Product

    running = Product(db_url, tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
def standin():
    """A Stream Chat app on loopback that enforces Stream's rules."""
    from tests.stream_standin import StreamStandIn

    with StreamStandIn() as running:
        yield running


@pytest.fixture
def stream_product(db_url, tmp_path, standin):
    """The running product delivering through Stream (the stand-in)."""
    from services.chat.stream_gateway import StreamChatGateway
    from tests.harness import Product

    gateway = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url)
    running = Product(db_url, tmp_path / "data", chat=gateway)
    yield running
    running.stop()
