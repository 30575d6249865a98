"""Fixtures for AppTest stories: a real SQLite store, the local QStash server in-process, demo accounts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from qstash import QStash
from streamlit.testing.v1 import AppTest

from local_qstash.config import Config
from local_qstash.server import start_in_thread
from services import local_secrets
from services.bootstrap import build_services
from services.config import load_settings
from services.db.engine import make_engine, migrate
from services.demo_seed import DEMO_PASSWORD, seed
from tests.ports import free_port


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One migrated SQLite file per session; each test works on its own copy."""
    path = tmp_path_factory.mktemp("template") / "scheduler.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """The embedded data directory of one test."""
    return tmp_path / "data"


@pytest.fixture
def qstash_server(data_dir):
    """The project's local QStash server, sharing the embedded secrets, on a free port."""
    secrets = local_secrets.load_or_create(data_dir)
    config = Config(
        data_dir=data_dir / "qstash",
        token=secrets["qstash_token"],
        port=0,
        current_signing_key=secrets["qstash_current_signing_key"],
        next_signing_key=secrets["qstash_next_signing_key"],
        backoff_scale=0.0001,  # QStash's retries after 0.001 s, 0.015 s and 0.18 s: a dead letter in well under 1 s
        timeout=2.0,
        workers=2,
    )
    server = start_in_thread(config)
    yield server
    server.stop()


@pytest.fixture
def services(migrated_db, data_dir, qstash_server):
    """Real services over a fresh SQLite copy and the local QStash server."""
    db = data_dir / "scheduler.sqlite3"
    shutil.copy(migrated_db, db)
    settings = load_settings(
        data_dir=data_dir, webhook_port=free_port(), local_qstash_port=int(qstash_server.base_url.rsplit(":", 1)[1])
    )
    token = local_secrets.load_or_create(data_dir)["qstash_token"]
    built = build_services(
        settings,
        engine=make_engine(f"sqlite:///{db}"),
        qstash_client=QStash(token, base_url=qstash_server.base_url, retry=False),
    )
    yield built
    built.store.engine.dispose()


@pytest.fixture
def seeded(services):
    """The demo data: coaches Casey (New York) and Morgan (London), support and admin."""
    assert seed(services)
    return services


def account(services, email: str):
    """A demo account by email."""
    return services.store.accounts.find_by_email(email)[0]


@pytest.fixture
def app(seeded):
    """The app with the seeded services injected and nobody logged in."""
    at = AppTest.from_file("../../app.py", default_timeout=30)
    at.session_state["services"] = seeded
    return at


@pytest.fixture
def as_user(app, seeded):
    """Factory: the app logged in as a demo account (injected the way the login form stores it)."""

    def log_in(email: str = "coach@example.com") -> AppTest:
        app.session_state["account"] = account(seeded, email)
        app.session_state["session_token"] = None  # a new sign-in: the previous user's session is not reused
        return app.run()

    return log_in


__all__ = ["DEMO_PASSWORD", "account"]
