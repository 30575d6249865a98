"""A throwaway database for a bench: a SQLite file, or a fresh database on DATABASE_URL's PostgreSQL server."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qstash import QStash
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.bootstrap import build_services
from services.config import load_settings
from services.db.engine import make_engine, migrate


def postgres_server() -> str | None:
    """DATABASE_URL when it names PostgreSQL (psycopg 3 driver), else None."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        return None
    return url.replace("postgres://", "postgresql://", 1).replace("postgresql://", "postgresql+psycopg://", 1)


def database_kinds(chosen: str | None) -> list[str]:
    """The databases a bench runs on: `chosen` ("sqlite,postgresql"), else SQLite, and PostgreSQL if DATABASE_URL."""
    return chosen.split(",") if chosen else ["sqlite"] + (["postgresql"] if postgres_server() else [])


@contextmanager
def scratch_database(kind: str, tmp: Path) -> Iterator[str]:
    """Yield the URL of an empty database of this kind ("sqlite" or "postgresql"); dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    server = postgres_server()
    if server is None:
        raise SystemExit("set DATABASE_URL=postgresql://… to bench PostgreSQL")
    name = f"cms_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_services() -> Iterator[tuple]:
    """The product's services over a migrated scratch PostgreSQL database, with coaches A and B and a support
    account: (services, coach, other, support). QStash is a dead address: nothing here publishes."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database("postgresql", Path(tmp)) as url:
        migrate(url)
        services = build_services(
            load_settings(data_dir=Path(tmp)),
            engine=make_engine(url),
            qstash_client=QStash("unused", base_url="http://127.0.0.1:9", retry=False),
        )
        accounts = services.store.accounts
        people = [
            accounts.insert(None, f"{who}@example.com", name, "UTC", role, None)
            for who, name, role in (("a", "Coach A", "coach"), ("b", "Coach B", "coach"), ("s", "Support", "support"))
        ]
        try:
            yield services, *people
        finally:
            services.store.engine.dispose()
