"""Engine construction and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from services.config import ConfigError, Settings
from services.db.dropped import discard_dropped_connections
from services.db.sqlite_writers import QueuedWriterConnection
from services.private_files import private_dir, private_file

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Supabase's transaction pooler (Supavisor) listens on 6543; its session pooler and the direct connection on 5432.
TRANSACTION_POOLER_PORT = 6543
# Reconnect a pooled connection after this long, under the idle timeouts of poolers, proxies and NATs on the way.
POOL_RECYCLE_SECONDS = 300
_READ_ONLY = "scheduler_read_only"  # execution option of read_connection's SQLite connections


def resolve_database_url(settings: Settings, *, migrations: bool = False) -> str:
    """The one place database URLs are decided: DATABASE_URL for the app, DATABASE_MIGRATION_URL (falling back to
    DATABASE_URL) for migrations, or the embedded SQLite file under data/ for both.

    The engine, `python -m services migrate` and Alembic's env.py (when run as `alembic` from a shell) all use it.
    """
    url = (migrations and settings.database_migration_url) or settings.database_url
    if url:
        if migrations and not settings.database_migration_url and uses_transaction_pooler(settings):
            # DDL and Alembic's version bookkeeping want one real session, which a transaction pooler does not give.
            raise ConfigError(
                "DATABASE_URL goes through a transaction pooler; set DATABASE_MIGRATION_URL to the direct "
                "connection (or the session pooler) to run migrations"
            )
        # Supabase hands out postgres:// URLs; SQLAlchemy wants postgresql://.
        return url.replace("postgres://", "postgresql://", 1)
    database = private_file(private_dir(settings.data_dir) / "scheduler.sqlite3")
    return f"sqlite:///{database.resolve()}"


def uses_transaction_pooler(settings: Settings) -> bool:
    """True when the app's DATABASE_URL goes through a transaction pooler (DATABASE_POOLER, or auto: port 6543)."""
    if not settings.database_url:
        return False
    if settings.database_pooler == "auto":
        return is_transaction_pooler_url(settings.database_url)
    return settings.database_pooler == "true"


def is_transaction_pooler_url(url: str) -> bool:
    """True for a PostgreSQL URL on the transaction pooler's port."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.get_backend_name() == "postgresql" and parsed.port == TRANSACTION_POOLER_PORT


def connect_args(url: str, pooler: bool | None = None) -> dict:
    """Driver options: behind a transaction pooler psycopg 3 must never prepare statements.

    psycopg prepares a statement on the server after it ran 5 times on a connection; the pooler hands the next
    transaction another server connection, where that statement "does not exist" or, prepared by another client,
    "already exists". pooler=None: decide from the URL (port 6543).
    """
    parsed = make_url(url)
    pooled = is_transaction_pooler_url(url) if pooler is None else pooler
    if pooled and parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        return {"prepare_threshold": None}
    return {}


def make_engine(url: str, *, pooler: bool | None = None, pool_size: int = 10) -> Engine:
    """An engine with foreign keys enforced and WAL on SQLite, a pool of `pool_size` on PostgreSQL (pooler-safe when
    url is a transaction pooler: pooler=None decides from the URL, True/False from DATABASE_POOLER)."""
    if url.startswith("sqlite"):
        # One pooled connection: a process's threads queue for it in Python. Processes queue for the write lock on a
        # file lock (services.db.sqlite_writers), woken at once, not in SQLite's busy handler, which backs off by up
        # to 100 ms per try and left a worker asleep long after the lock was free.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": QueuedWriterConnection},
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
            hide_parameters=True,  # statement parameters (message text, hashes) never reach a log or an error
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite's own transaction handling defers the write lock; BEGIN IMMEDIATE avoids upgrade deadlocks.
        event.listen(engine, "begin", _begin_immediate)
        return engine
    # pool_size: one connection per thread that may run a request at once (the caller passes WEBHOOK_THREADS), plus
    # a little overflow for the odd nested connection. No pre-ping round trip on every checkout: dropped
    # connections are caught by a poll() at checkout (services.db.dropped) and by pool_recycle.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max(2, pool_size // 4),
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args=connect_args(url, pooler),
        hide_parameters=True,
    )
    discard_dropped_connections(engine)
    return engine


@contextmanager
def single_statement(engine: Engine) -> Iterator[Connection]:
    """A unit of work that is one write statement: on PostgreSQL in autocommit, where the statement is its own
    transaction, atomic as it is, without BEGIN and COMMIT (two round trips of three); on SQLite in BEGIN IMMEDIATE,
    as every write there (a write that upgrades a read lock can fail at once instead of waiting its turn)."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def read_connection(engine: Engine) -> Connection:
    """A connection for a read-only unit of work, without a transaction around it.

    Under READ COMMITTED (PostgreSQL's default) every statement takes its own snapshot anyway, so a read loses
    nothing by running in autocommit, and saves BEGIN and ROLLBACK, two round trips of three. On SQLite it takes
    no BEGIN IMMEDIATE: a read must not hold the write lock that the webhook's other workers wait for.
    """
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn.execution_options(**{_READ_ONLY: True})


def _begin_immediate(conn: Connection) -> None:
    """Start a SQLite unit of work holding the write lock from its start (not for read_connection's reads)."""
    if not conn.get_execution_options().get(_READ_ONLY):
        conn.connection.driver_connection.begin_immediate()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Turn on foreign keys and WAL for every new SQLite connection."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL is crash-safe for the application (only an OS crash may lose the last commits).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(url: str) -> None:
    """Apply every Alembic migration to the database at url."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
