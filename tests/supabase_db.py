"""A PostgreSQL database set up as Supabase sets up its own: the API roles `anon` and `authenticated`, an `auth`
schema with `auth.uid()`, default privileges that grant every new table in `public` to the API roles, and a table
owner that is neither superuser nor BYPASSRLS (the app's role). Then the product's migrations run as that owner."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from services.db.engine import migrate
from tests import pg

# Roles are cluster-wide: parallel workers may race to create them, and they stay (as on every Supabase server).
API_ROLES = """
DO $$
BEGIN
  CREATE ROLE anon NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
  CREATE ROLE authenticated NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
"""

# As Supabase defines auth.uid(): the newer JSON claims and the older single-claim setting both work.
AUTH_SCHEMA = """
CREATE SCHEMA auth;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
GRANT USAGE ON SCHEMA auth TO anon, authenticated;
GRANT USAGE ON SCHEMA public TO anon, authenticated;
"""


def _execute(url: str, sql: str, autocommit: bool = False) -> None:
    """Run SQL as the test server's superuser."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT" if autocommit else None)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


@contextmanager
def supabase_like_database() -> Iterator[tuple[str, str]]:
    """Yield (owner_url, superuser_url) of a fresh database migrated by its non-superuser owner; drop both after."""
    owner = f"cms_owner_{uuid.uuid4().hex[:12]}"
    superuser_url = pg.create_database()
    name = make_url(superuser_url).database
    try:
        _execute(pg.admin_url(), API_ROLES, autocommit=True)
        _execute(pg.admin_url(), f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT', autocommit=True)
        _execute(
            superuser_url,
            f'ALTER DATABASE "{name}" OWNER TO "{owner}"; GRANT ALL ON SCHEMA public TO "{owner}";'
            + AUTH_SCHEMA
            + f'GRANT USAGE ON SCHEMA auth TO "{owner}";'  # as Supabase's postgres role has it
            # What makes Supabase's Data API see every new table: grants by default to the API roles.
            + f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
            "GRANT ALL ON TABLES TO anon, authenticated;",
        )
        owner_url = make_url(superuser_url).set(username=owner).render_as_string(hide_password=False)
        migrate(owner_url)
        yield owner_url, superuser_url
    finally:
        pg.drop_database(superuser_url)
        _execute(pg.admin_url(), f'DROP ROLE IF EXISTS "{owner}"', autocommit=True)
