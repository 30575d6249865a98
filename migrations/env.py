"""Alembic environment: one migration history for SQLite and PostgreSQL (Supabase)."""

from alembic import context
from sqlalchemy import create_engine, pool

from services.config import load_settings
from services.db.engine import connect_args, resolve_database_url
from services.db.schema import metadata

config = context.config


def _url() -> str:
    """The database: the product's own settings when run as `alembic` from a shell (DATABASE_MIGRATION_URL, the
    direct connection, when set), else what the caller passed."""
    if config.config_file_name:
        return resolve_database_url(load_settings(), migrations=True)
    return config.get_main_option("sqlalchemy.url")


def run_migrations_offline() -> None:
    """Emit SQL (for pasting into Supabase's SQL editor) instead of running it."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations against the configured database."""
    url = _url()
    # Migrations belong on the direct connection; should one go through a transaction pooler, it must not prepare.
    engine = create_engine(url, poolclass=pool.NullPool, connect_args=connect_args(url))
    with engine.connect() as connection:
        # Batch mode lets later ALTERs work on SQLite, which cannot alter constraints in place.
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
