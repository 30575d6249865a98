"""Dashboard sign-in through Supabase Auth: Supabase users map to active accounts (and their roles) by email, and each
failure says what it is: a wrong password, an unconfirmed email, or Auth that cannot be reached right now."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from services import supabase_auth
from services.db.schema import accounts
from services.errors import SignInUnavailable, UserError
from services.sign_in import SignIn
from services.supabase_auth import SupabaseAuth
from tests import factories


@pytest.fixture
def login(auth_server, sqlite_store):
    """SupabaseAuth against the stand-in, with dashboard accounts for the coach and a support person."""
    factories.coach(sqlite_store, email="coach@example.com")
    factories.support(sqlite_store, email="support@example.com")
    return SupabaseAuth(sqlite_store.accounts, auth_server.url, auth_server.anon_key)


def _auth_user_id(store, email: str) -> str | None:
    with store.engine.connect() as conn:
        return conn.scalar(select(accounts.c.auth_user_id).where(accounts.c.email == email))


def test_the_right_password_signs_in_as_the_account_with_that_email(login, auth_server, sqlite_store):
    """Case and spaces do not matter; the Supabase user is linked to the account; no Supabase session is left."""
    account = login.login("  Coach@Example.com ", "coach-password-1")
    assert (account.email, account.role) == ("coach@example.com", "coach")
    user_id = auth_server.state.users["coach@example.com"]["id"]
    assert _auth_user_id(sqlite_store, "coach@example.com") == user_id
    assert auth_server.state.active_sessions("coach@example.com") == 0
    assert [call[1] for call in auth_server.calls] == ["/auth/v1/token", "/auth/v1/logout"]


def test_the_role_comes_from_the_dashboard_account(login, auth_server):
    """A Supabase user whose email belongs to a support account signs in as support."""
    auth_server.add_user("support@example.com", "support-password")
    assert login.login("support@example.com", "support-password").role == "support"


@pytest.mark.parametrize(
    ("email", "password"),
    [("coach@example.com", "wrong-password"), ("nobody@example.com", "coach-password-1"), ("coach@example.com", "")],
)
def test_wrong_credentials_say_so_and_nothing_more(login, email, password):
    """A wrong password or an unknown email: the same words, counted as a failed attempt (a plain UserError)."""
    with pytest.raises(UserError, match=r"^Wrong email or password\.$") as caught:
        login.login(email, password)
    assert not isinstance(caught.value, SignInUnavailable)


def test_an_overlong_password_is_not_sent(login, auth_server):
    """Longer than any password we accept: refused here, Auth is not asked."""
    with pytest.raises(UserError, match=r"^Wrong email or password\.$"):
        login.login("coach@example.com", "x" * 2000)
    assert auth_server.calls == []


def test_an_unconfirmed_email_says_so(login, auth_server, sqlite_store):
    """The right password on an unconfirmed address: confirm first (not counted as a wrong guess)."""
    factories.coach(sqlite_store, email="new@example.com", name="Nia New")
    with pytest.raises(SignInUnavailable, match=r"^Your email address is not confirmed yet\."):
        login.login("new@example.com", "newcomer-password")
    auth_server.state.confirm("new@example.com")
    assert login.login("new@example.com", "newcomer-password").email == "new@example.com"


@pytest.mark.parametrize("outage", ["stopped", "gateway 503", "wrong anon key"])
def test_auth_that_cannot_be_reached_is_never_a_wrong_password(login, auth_server, caplog, outage):
    """Refused connection, a 503 from the gateway, or a misconfigured key: "not possible right now", logged."""
    if outage == "stopped":
        auth_server.stop()
    elif outage == "gateway 503":
        auth_server.down = True
    else:
        login.anon_key = "not-the-key"
    with caplog.at_level(logging.WARNING, logger=supabase_auth.__name__), pytest.raises(SignInUnavailable) as caught:
        login.login("coach@example.com", "coach-password-1")
    assert caught.value.message == supabase_auth.UNREACHABLE
    assert "Wrong" not in caught.value.message
    assert caplog.records
    assert "coach-password-1" not in caplog.text
    assert "not-the-key" not in caplog.text


def test_rate_limited_auth_says_wait(login, auth_server):
    """Auth's 429: wait and try again, not "wrong password"."""
    auth_server.token_limiter.limit = 0
    with pytest.raises(SignInUnavailable, match=r"too many sign-in attempts"):
        login.login("coach@example.com", "coach-password-1")


def test_older_auth_servers_oauth_errors_mean_the_same(login, auth_server, sqlite_store):
    """invalid_grant "Invalid login credentials" / "Email not confirmed" (no error code) are read by message."""
    auth_server.oauth_errors = True
    factories.coach(sqlite_store, email="new@example.com", name="Nia New")
    with pytest.raises(UserError, match=r"^Wrong email or password\.$"):
        login.login("coach@example.com", "wrong-password")
    with pytest.raises(SignInUnavailable, match=r"not confirmed"):
        login.login("new@example.com", "newcomer-password")


def test_a_supabase_user_without_an_active_account_is_refused(login, auth_server, sqlite_store):
    """Supabase accepts the password, but only active dashboard accounts sign in; the session is revoked anyway."""
    auth_server.add_user("stranger@example.com", "stranger-password")
    with pytest.raises(UserError, match=r"no active dashboard account"):
        login.login("stranger@example.com", "stranger-password")
    coach = sqlite_store.accounts.find_by_email("coach@example.com")[0]
    admin = factories.account(sqlite_store, "admin@example.com", "Ada Admin", "admin")
    sqlite_store.accounts.update(admin.as_actor(), coach.id, active=False)
    with pytest.raises(UserError, match=r"no active dashboard account"):
        login.login("coach@example.com", "coach-password-1")
    assert auth_server.state.active_sessions("stranger@example.com") == 0
    assert auth_server.state.active_sessions("coach@example.com") == 0


def test_the_link_follows_the_email(login, auth_server, sqlite_store):
    """A Supabase user recreated for the same email links the account to the new user id."""
    login.login("coach@example.com", "coach-password-1")
    recreated = auth_server.add_user("coach@example.com", "new-password-22")
    login.login("coach@example.com", "new-password-22")
    assert _auth_user_id(sqlite_store, "coach@example.com") == recreated["id"]


def test_sign_in_throttles_wrong_passwords_but_not_outages(login, auth_server, sqlite_store, clock):
    """Through the dashboard's SignIn: an Auth outage never locks an account; five wrong passwords still do."""
    sign_in = SignIn(login, sqlite_store.sign_in_failures, clock)
    auth_server.down = True
    for _ in range(7):
        with pytest.raises(SignInUnavailable):
            sign_in.login("coach@example.com", "coach-password-1", browser="b1")
    auth_server.down = False
    assert sign_in.login("coach@example.com", "coach-password-1", browser="b1").email == "coach@example.com"
    for _ in range(5):
        with pytest.raises(UserError, match="Wrong email or password"):
            sign_in.login("coach@example.com", "guess", browser="b2")
    with pytest.raises(UserError, match="Too many failed sign-ins"):
        sign_in.login("coach@example.com", "coach-password-1", browser="b3")
