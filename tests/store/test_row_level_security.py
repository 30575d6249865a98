"""Row-level security, the second wall behind the app's own scoping (PostgreSQL only): through Supabase's Data API
`anon` reads and writes nothing, and `authenticated` as one coach sees none of another coach's rows; the app's own
connection (the tables' owner, not a superuser) keeps working."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from services.db.engine import make_engine
from services.db.schema import metadata
from services.store import Store
from services.store.base import utc_now
from tests import factories, pg
from tests.supabase_db import supabase_like_database

pytestmark = pytest.mark.postgres

# Tables a coach may one day read through the API, and the column that says whose a row is.
COACH_ROWS = {
    "clients": "SELECT coach_id FROM clients",
    "scheduled_messages": "SELECT coach_id FROM scheduled_messages",
    "delivery_runs": "SELECT coach_id FROM delivery_runs",
    "deliveries": "SELECT coach_id FROM deliveries",
    "audit_events": "SELECT coach_id FROM audit_events",
    "client_tags": "SELECT c.coach_id FROM client_tags t JOIN clients c ON c.id = t.client_id",
    "message_recipients": (
        "SELECT m.coach_id FROM message_recipients r JOIN scheduled_messages m ON m.id = r.message_id"
    ),
}
# Internal tables: no API role may even try.
INTERNAL = ("qstash_links", "inbox_messages", "signature_ids", "sign_in_failures", "web_sessions", "alembic_version")
ALL_TABLES = [t.name for t in metadata.sorted_tables] + ["alembic_version"]
WRITES = [
    "INSERT INTO clients (id, coach_id, name, chat_user_id, timezone, active, created_at) "
    "SELECT 'x', coach_id, 'Mallory', 'mallory', 'UTC', true, now() FROM clients LIMIT 1",
    "UPDATE clients SET name = 'Mallory'",
    "DELETE FROM deliveries",
    "UPDATE accounts SET role = 'admin'",
    "INSERT INTO sign_in_failures (id, subject, at) VALUES ('x', 'y', now())",
]


@pytest.fixture(scope="module")
def supabase():
    """A Supabase-like database, migrated; (owner engine, superuser engine)."""
    if problem := pg.reachable():
        pytest.fail(f"PostgreSQL unreachable: {problem}")
    with supabase_like_database() as (owner_url, superuser_url):
        owner, superuser = make_engine(owner_url), make_engine(superuser_url)
        yield owner, superuser
        owner.dispose()
        superuser.dispose()


@pytest.fixture(scope="module")
def coaches(supabase):
    """Coaches A and B with a client, a tag, a message to chosen clients, a run and deliveries each, written by
    the app (the owner role); each linked to a Supabase Auth user id."""
    owner, _ = supabase
    store = Store(owner, utc_now)
    made = {}
    for label in ("a", "b"):
        coach = factories.coach(store, email=f"coach-{label}@example.com")
        [client] = factories.clients(store, coach, [(f"Client {label.upper()}", "UTC", ["vip"])])
        message = store.messages.insert(
            coach.as_actor(), factories.once_values(store, coach, target="clients"), [client.id]
        )
        store.deliveries.ensure_rows(message.id, coach.id, "once", [client.id], {})
        store.deliveries.start_run(message.id, coach.id, f"q-{label}", 0, "once", None)
        made[label] = (coach, str(uuid.uuid4()))
    factories.support(store)
    return store, made


def _as(engine, role: str, sql: str, sub: str | None = None, claim_style: str = "claims"):
    """Run sql as an API role inside one transaction (rolled back): its rows, or 'denied' for a missing privilege."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.execute(text(f"SET LOCAL ROLE {role}"))
            if sub and claim_style == "claims":
                claims = json.dumps({"sub": sub, "role": role})
                conn.execute(text("SELECT set_config('request.jwt.claims', :c, true)"), {"c": claims})
            elif sub:
                conn.execute(text("SELECT set_config('request.jwt.claim.sub', :s, true)"), {"s": sub})
            result = conn.execute(text(sql))
            return result.all() if result.returns_rows else result.rowcount
        except ProgrammingError as error:
            if getattr(error.orig, "sqlstate", None) == "42501":  # insufficient_privilege
                return "denied"
            raise
        finally:
            transaction.rollback()


def test_every_table_has_row_level_security_and_the_owner_is_not_forced(supabase):
    """RLS is on for every table of the schema (and Alembic's); not forced, so the owner (the app) is unaffected."""
    _, superuser = supabase
    with superuser.connect() as conn:
        rows = conn.execute(
            text("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(:t)"),
            {"t": ALL_TABLES},
        ).all()
    flags = {name: (enabled, forced) for name, enabled, forced in rows}
    assert {name: flags.get(name) for name in ALL_TABLES} == {name: (True, False) for name in ALL_TABLES}


@pytest.mark.parametrize("table", ALL_TABLES)
def test_anon_reads_nothing(supabase, coaches, table):
    """The anon key reaches no table at all: the default grants are revoked (and RLS would hide the rows)."""
    _, superuser = supabase
    assert _as(superuser, "anon", f'SELECT * FROM "{table}"') == "denied"


@pytest.mark.parametrize("sql", WRITES)
@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_api_roles_write_nothing(supabase, coaches, role, sql):
    """Neither API role may insert, update or delete anything: every write goes through the app's services."""
    _, superuser = supabase
    _, made = coaches
    assert _as(superuser, role, sql, sub=made["a"][1]) == "denied"


@pytest.mark.parametrize("claim_style", ["claims", "claim.sub"])
def test_authenticated_coach_sees_only_their_rows(supabase, coaches, claim_style):
    """As coach A (auth.uid() from either claim setting) every coach-scoped table shows A's rows and none of B's;
    their own account row without the password hash."""
    _, superuser = supabase
    store, made = coaches
    for label, other in (("a", "b"), ("b", "a")):
        coach, auth_id = made[label]
        store.accounts.link_auth_user(coach.id, auth_id)
        for table, sql in COACH_ROWS.items():
            seen = {row[0] for row in _as(superuser, "authenticated", sql, auth_id, claim_style)}
            assert seen == {coach.id}, table
        mine = _as(superuser, "authenticated", "SELECT id, email, role FROM accounts", auth_id, claim_style)
        assert mine == [(coach.id, coach.email, "coach")]
        assert made[other][0].id not in str(mine)
        assert _as(superuser, "authenticated", "SELECT password_hash FROM accounts", auth_id, claim_style) == "denied"
        for table in INTERNAL:
            assert _as(superuser, "authenticated", f'SELECT * FROM "{table}"', auth_id, claim_style) == "denied"


def test_authenticated_without_a_linked_active_account_sees_nothing(supabase, coaches):
    """No claim, an unknown user, or a deactivated account: not one row."""
    owner, superuser = supabase
    store, made = coaches
    coach, auth_id = made["a"]
    store.accounts.link_auth_user(coach.id, auth_id)
    assert _as(superuser, "authenticated", "SELECT * FROM clients") == []
    assert _as(superuser, "authenticated", "SELECT * FROM clients", str(uuid.uuid4())) == []
    with owner.begin() as conn:
        conn.execute(text("UPDATE accounts SET active = false WHERE id = :id"), {"id": coach.id})
    try:
        assert _as(superuser, "authenticated", "SELECT coach_id FROM clients", auth_id) == []
    finally:
        with owner.begin() as conn:
            conn.execute(text("UPDATE accounts SET active = true WHERE id = :id"), {"id": coach.id})


def test_the_app_as_table_owner_keeps_working(coaches):
    """The owner role (not superuser, no BYPASSRLS) reads and writes through the store as before."""
    store, made = coaches
    coach, _ = made["a"]
    [client] = store.clients.list(coach.as_actor())
    renamed = store.clients.update(coach.as_actor(), client.id, "Renamed A", "UTC", ["vip"])
    assert renamed.name == "Renamed A"
    assert store.messages.list(coach.as_actor())[1] == 1


def test_a_table_made_later_is_not_granted_to_the_api_roles(supabase):
    """The default privileges that would grant the owner's next table to anon and authenticated are gone too."""
    owner, superuser = supabase
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE made_later (id int)"))
    try:
        for role in ("anon", "authenticated"):
            assert _as(superuser, role, "SELECT * FROM made_later") == "denied"
    finally:
        with owner.begin() as conn:
            conn.execute(text("DROP TABLE made_later"))
