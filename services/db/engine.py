"""Engine construction and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from services.config import Settings
from services.private_files import private_dir, private_file

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def resolve_database_url(settings: Settings) -> str:
    """The one place the database URL is decided: DATABASE_URL, or the embedded SQLite file under data/.

    The engine, `python -m services migrate` and Alembic's env.py (when run as `alembic` from a shell) all use it.
    """
    if settings.database_url:
        # Supabase hands out postgres:// URLs; SQLAlchemy wants postgresql://.
        return settings.database_url.replace("postgres://", "postgresql://", 1)
    database = private_file(private_dir(settings.data_dir) / "scheduler.sqlite3")
    return f"sqlite:///{database.resolve()}"


def make_engine(url: str) -> Engine:
    """An engine with foreign keys enforced and WAL on SQLite, a sized pool on PostgreSQL."""
    if url.startswith("sqlite"):
        # One pooled connection: threads queue for it in Python instead of SQLite's sleeping busy handler,
        # which backs off by up to 100 ms per try and made concurrent writers crawl.
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=120
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite's own transaction handling defers the write lock; BEGIN IMMEDIATE avoids upgrade deadlocks.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


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
