"""Which URL the app and the migrations use, and when the engine must not prepare statements (transaction pooler)."""

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services.config import ConfigError, Settings
from services.db.engine import connect_args, make_engine, resolve_database_url, uses_transaction_pooler
from tests import pg

ROOT = Path(__file__).resolve().parents[1]
DIRECT = "postgresql://postgres:pw@db.abcd.supabase.co:5432/postgres"
POOLER = "postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"


def _settings(tmp_path, **values) -> Settings:
    """Settings from the given values only (no environment, no .env)."""
    return Settings(_env_file=None, data_dir=tmp_path, **values)


def test_the_app_uses_database_url_and_migrations_the_direct_url(tmp_path):
    """DATABASE_MIGRATION_URL is for migrations only; the app keeps DATABASE_URL (postgres:// is normalised)."""
    settings = _settings(tmp_path, database_url=POOLER, database_migration_url=DIRECT)
    assert resolve_database_url(settings) == POOLER.replace("postgres://", "postgresql://")
    assert resolve_database_url(settings, migrations=True) == DIRECT


def test_without_a_migration_url_migrations_use_database_url(tmp_path):
    """A direct DATABASE_URL serves both; the embedded SQLite file serves both."""
    assert resolve_database_url(_settings(tmp_path, database_url=DIRECT), migrations=True) == DIRECT
    embedded = _settings(tmp_path)
    assert resolve_database_url(embedded, migrations=True) == resolve_database_url(embedded)
    assert resolve_database_url(embedded).startswith("sqlite:///")


def test_migrations_through_the_transaction_pooler_are_refused(tmp_path):
    """DATABASE_URL on the transaction pooler and no DATABASE_MIGRATION_URL: say which variable to set."""
    with pytest.raises(ConfigError, match="set DATABASE_MIGRATION_URL"):
        resolve_database_url(_settings(tmp_path, database_url=POOLER), migrations=True)


@pytest.mark.parametrize(
    ("url", "setting", "pooled"),
    [
        (POOLER, "auto", True),
        (DIRECT, "auto", False),
        ("postgresql://postgres@127.0.0.1:6432/postgres", "auto", False),
        ("postgresql://postgres@127.0.0.1:6432/postgres", "true", True),
        (POOLER, "false", False),
    ],
)
def test_pooler_detection(tmp_path, url, setting, pooled):
    """auto: the transaction pooler's port (6543); DATABASE_POOLER=true|false decides for any other."""
    settings = _settings(tmp_path, database_url=url, database_pooler=setting)
    assert uses_transaction_pooler(settings) is pooled


def test_no_prepared_statements_behind_a_pooler():
    """psycopg 3 gets prepare_threshold=None behind a pooler; elsewhere the driver's defaults stay."""
    assert connect_args(POOLER.replace("postgres://", "postgresql://")) == {"prepare_threshold": None}
    assert connect_args(DIRECT) == {}
    assert connect_args(DIRECT, pooler=True) == {"prepare_threshold": None}
    assert connect_args("postgresql+psycopg2://u@h:6543/db") == {}  # psycopg2 never prepares
    assert connect_args("sqlite:///x.sqlite3", pooler=True) == {}


def test_nothing_in_services_relies_on_session_state():
    """A transaction pooler gives each transaction any server connection: no session-level SET (SET LOCAL is
    fine), RESET/DISCARD, advisory lock, LISTEN/NOTIFY or server-side PREPARE may appear in the product's SQL."""
    session_state = re.compile(
        r"""["']\s*(SET\s+(?!LOCAL\b)\w+\s*(=|TO\b)|SET\s+SESSION\b|RESET\b|DISCARD\b)"""
        r"|pg_(try_)?advisory_lock|\bLISTEN\s|\bNOTIFY\s|\bPREPARE\s+\w+\s+AS\b",
        re.IGNORECASE,
    )
    sources = [*(ROOT / "services").rglob("*.py"), ROOT / "migrations" / "env.py"]
    found = [
        f"{path}: {line}" for path in sources for line in path.read_text().splitlines() if session_state.search(line)
    ]
    assert found == []
    assert session_state.search('conn.execute(text("SET statement_timeout = 5"))')  # the pattern does catch


@pytest.fixture
def command(monkeypatch, tmp_path):
    """Run `python -m services <args>` in this process with only the given DATABASE_* variables (no .env)."""
    from services.__main__ import main

    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("DATABASE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))

    def run(*args: str, **env: str) -> int:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return main(list(args))

    return run


def test_check_config_says_where_the_app_and_the_migrations_connect(command, capsys):
    """check-config names the pooler and the migration URL (never the URLs themselves: they hold the password)."""
    assert command("check-config", DATABASE_URL=POOLER) == 0
    alone = capsys.readouterr().out
    assert "database: DATABASE_URL (transaction pooler: no prepared statements)" in alone
    assert "migrations: refused through the pooler: set DATABASE_MIGRATION_URL" in alone
    assert command("check-config", DATABASE_MIGRATION_URL=DIRECT) == 0
    both = capsys.readouterr().out
    assert "migrations: DATABASE_MIGRATION_URL" in both
    assert "pw@" not in alone + both


@pytest.mark.postgres
@pytest.mark.pgbouncer
def test_migrate_uses_the_direct_url_while_the_app_uses_the_pooler(command, capsys, pgbouncer_url):
    """`migrate` with DATABASE_URL on PgBouncer refuses until DATABASE_MIGRATION_URL (direct) is set, then migrates a
    fresh database through it; the app's engine then works through the pooler."""
    direct = pg.create_database()
    pooled = pg.through_pooler(direct)
    try:
        assert command("migrate", DATABASE_URL=pooled, DATABASE_POOLER="true") == 2
        assert "set DATABASE_MIGRATION_URL" in capsys.readouterr().err
        assert command("migrate", DATABASE_MIGRATION_URL=direct) == 0
        engine = make_engine(pooled, pooler=True)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM accounts")).scalar_one() == 0
        engine.dispose()
        check = create_engine(direct)
        with check.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        check.dispose()
    finally:
        pg.drop_database(direct)
