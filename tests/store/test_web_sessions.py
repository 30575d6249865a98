"""Dashboard sessions on SQLite and PostgreSQL: a token resumes its account until it idles out, reaches its absolute
limit, is signed out, or its account is deactivated or gets a new password; forged tokens resume nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.account_admin import AccountService
from services.db.schema import web_sessions
from services.web_sessions import MAX_TOKEN_LENGTH, WebSessionService, token_hash
from tests import factories

IDLE = timedelta(hours=12)
MAX_AGE = timedelta(days=7)


@pytest.fixture
def sessions(store, clock):
    """The service with the default limits over the real store and a hand-moved clock."""
    return WebSessionService(store.web_sessions, AccountService(store), clock, IDLE, MAX_AGE)


@pytest.fixture
def casey(store):
    return factories.coach(store)


@pytest.fixture
def admin(store):
    return factories.account(store, "ada@example.com", "Ada Admin", "admin")


def stored(store) -> list:
    """Every session row as stored."""
    with store.engine.connect() as conn:
        return list(conn.execute(select(web_sessions)))


def test_a_token_resumes_its_account_and_only_its_hash_is_stored(sessions, store, casey, clock):
    """Casey signs in: her browser gets a long random token, the table keeps its SHA-256 and the absolute expiry;
    the token resumes Casey."""
    started = sessions.start(casey)
    assert len(started.token) >= 43
    assert started.expires_at == clock() + MAX_AGE
    [row] = stored(store)
    assert row.token_hash == token_hash(started.token) != started.token
    assert row.account_id == casey.id
    assert row.expires_at == started.expires_at
    assert sessions.resume(started.token).id == casey.id
    assert sessions.start(casey).token != started.token  # a fresh token per sign-in


@pytest.mark.parametrize(
    "token",
    ["", None, "forged-token", "x" * (MAX_TOKEN_LENGTH + 1), "' OR 1=1 --"],
    ids=["empty", "none", "forged", "oversized", "sql"],
)
def test_unknown_or_forged_tokens_resume_nothing(sessions, casey, token):
    """A cookie someone made up (or an empty, oversized or hostile one) resumes nobody, even while Casey's real
    session is live."""
    sessions.start(casey)
    assert sessions.resume(token) is None


def test_the_stored_hash_itself_is_not_a_token(sessions, store, casey):
    """Someone who read the table cannot use a hash as the cookie."""
    started = sessions.start(casey)
    assert sessions.resume(token_hash(started.token)) is None


def test_activity_keeps_a_session_alive_until_it_idles_out(sessions, casey, clock):
    """Casey clicks every 11 hours for two days and stays in; then she leaves it for 12 hours and is out for good."""
    token = sessions.start(casey).token
    for _ in range(4):
        clock.advance(hours=11)
        assert sessions.resume(token) is not None
    clock.advance(hours=12)
    assert sessions.resume(token) is None
    clock.advance(hours=1)
    assert sessions.resume(token) is None


def test_the_absolute_limit_ends_even_a_busy_session(sessions, casey, clock):
    """However often Casey clicks, a week after signing in she has to sign in again."""
    started = sessions.start(casey)
    while clock.now + timedelta(hours=6) < started.expires_at:
        clock.advance(hours=6)
        assert sessions.resume(started.token) is not None
    clock.now = started.expires_at
    assert sessions.resume(started.token) is None


def test_sign_out_ends_the_session_for_every_tab(sessions, store, casey, clock):
    """Casey signs out: the token (which other tabs of hers still send) resumes nothing, and signing out twice is
    harmless; her other session (another browser) is untouched."""
    token, other = sessions.start(casey).token, sessions.start(casey).token
    clock.advance(minutes=1)
    sessions.end(token)
    sessions.end(token)
    assert sessions.resume(token) is None
    assert sessions.resume(other).id == casey.id
    revoked = {row.token_hash: row.revoked_at for row in stored(store)}
    assert revoked == {token_hash(token): clock(), token_hash(other): None}


def test_a_new_password_ends_every_earlier_session(sessions, store, casey, admin, clock):
    """An admin sets a new password for Casey: her sessions from before end (and stay ended), one started after
    the change works."""
    before = sessions.start(casey).token
    clock.advance(minutes=5)
    AccountService(store).set_password(admin.as_actor(), casey.id, "a-brand-new-password")
    clock.advance(minutes=1)
    after = sessions.start(casey).token
    assert sessions.resume(before) is None
    assert sessions.resume(after).id == casey.id
    assert {row.token_hash: row.revoked_at is not None for row in stored(store)} == {
        token_hash(before): True,
        token_hash(after): False,
    }


def test_deactivation_ends_the_session_and_reactivation_does_not_revive_it(sessions, store, casey, admin, clock):
    """Casey is deactivated while signed in: her session resumes nothing, and stays dead when she is reactivated."""
    token = sessions.start(casey).token
    clock.advance(minutes=5)
    store.accounts.update(admin.as_actor(), casey.id, active=False)
    assert sessions.resume(token) is None
    clock.advance(minutes=5)
    store.accounts.update(admin.as_actor(), casey.id, active=True)
    assert sessions.resume(token) is None


def test_a_role_change_applies_to_a_live_session(sessions, store, casey, admin, clock):
    """Casey becomes support while signed in: her session carries on, with the new role."""
    token = sessions.start(casey).token
    clock.advance(minutes=5)
    store.accounts.update(admin.as_actor(), casey.id, role="support")
    assert sessions.resume(token).role == "support"


def test_activity_is_written_at_most_once_a_minute(sessions, store, casey, clock):
    """Clicks within a minute cost no write; the first click after a minute records the time."""
    token = sessions.start(casey).token
    started = clock()
    clock.advance(seconds=30)
    sessions.resume(token)
    assert stored(store)[0].last_seen_at == started
    clock.advance(seconds=31)
    sessions.resume(token)
    assert stored(store)[0].last_seen_at == clock()


def test_starting_a_session_purges_sessions_past_their_absolute_limit(sessions, store, casey, clock):
    """Old sessions do not pile up: a sign-in deletes everyone's sessions past their absolute limit."""
    old = sessions.start(casey).token
    clock.advance(days=8)
    new = sessions.start(casey).token
    assert [row.token_hash for row in stored(store)] == [token_hash(new)]
    assert sessions.resume(old) is None


def test_concurrent_resumes_of_one_token_all_succeed(sessions, casey, clock):
    """Ten tabs of Casey's reconnect at once after a pause: each resumes her, none errors."""
    token = sessions.start(casey).token
    clock.advance(minutes=30)
    with ThreadPoolExecutor(max_workers=10) as pool:
        found = list(pool.map(lambda _: sessions.resume(token), range(10)))
    assert [a.id if a else None for a in found] == [casey.id] * 10


def test_a_sign_out_racing_resumes_wins(sessions, casey, clock):
    """Casey signs out in one tab while others reconnect: once the sign-out has returned, nothing resumes."""
    token = sessions.start(casey).token
    clock.advance(minutes=30)
    with ThreadPoolExecutor(max_workers=8) as pool:
        racing = [pool.submit(sessions.resume, token) for _ in range(6)] + [pool.submit(sessions.end, token)]
        for future in racing:
            future.result()  # no resume or sign-out errors
    assert sessions.resume(token) is None
