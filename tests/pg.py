"""The PostgreSQL the tests use: TEST_DATABASE_URL (default the local server), one fresh database per session.

Under pytest-xdist every worker is its own session: it creates, uses and drops its own database. The same database
is also reached through PgBouncer in transaction mode (TEST_PGBOUNCER_URL, default port 6543 as Supabase's
transaction pooler; `.ci/pgbouncer start` runs one), the way the app reaches Supabase.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_POOLER_URL = "postgresql://postgres@127.0.0.1:6543/postgres"

# The `db_url` fixture's PostgreSQL parameters: the server directly, and through PgBouncer (transaction mode).
POSTGRES_PARAMS = [
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("pgbouncer", marks=[pytest.mark.postgres, pytest.mark.pgbouncer]),
]


def admin_url() -> str:
    """Where to create test databases (psycopg 3 driver)."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_URL)
    return url.replace("postgres://", "postgresql://", 1).replace("postgresql://", "postgresql+psycopg://", 1)


def pooler_admin_url() -> str:
    """PgBouncer in front of the test server (psycopg 3 driver)."""
    url = os.environ.get("TEST_PGBOUNCER_URL", DEFAULT_POOLER_URL)
    return url.replace("postgres://", "postgresql://", 1).replace("postgresql://", "postgresql+psycopg://", 1)


def through_pooler(url: str) -> str:
    """The same database as url, reached through PgBouncer."""
    pooler = make_url(pooler_admin_url())
    return make_url(url).set(host=pooler.host, port=pooler.port).render_as_string(hide_password=False)


def reachable(url: str | None = None) -> str | None:
    """None when PostgreSQL (or the pooler at url) answers, else the reason."""
    try:
        # No prepared statements: this check must also work through a transaction pooler.
        engine = create_engine(url or admin_url(), connect_args={"connect_timeout": 3, "prepare_threshold": None})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver error means unreachable for our purpose
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def database_name() -> str:
    """A name no other run or xdist worker can take: worker id, process id and a random part."""
    worker = re.sub(r"[^a-z0-9]", "", os.environ.get("PYTEST_XDIST_WORKER", "main").lower())[:8] or "main"
    return f"cms_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:12]}"


def create_database() -> str:
    """Create an empty database for this test session (one per xdist worker) and return its URL."""
    name = database_name()
    engine = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by create_database."""
    name = make_url(url).database
    engine = create_engine(admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
