"""The stand-in answers the `supabase` SDK's Auth calls as Supabase Auth (GoTrue) does, rules included."""

from __future__ import annotations

import pytest
from supabase_auth.errors import AuthApiError

from tests.supabase_standin import rules


def _refused(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as caught:
        call()
    return caught.value


def test_password_grant_gives_a_session(sdk, auth_server):
    """POST /auth/v1/token?grant_type=password with the right password: a session for that user."""
    response = sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"})
    assert response.user.email == "coach@example.com"
    assert response.session.refresh_token
    assert auth_server.calls == [("POST", "/auth/v1/token", "password")]


@pytest.mark.parametrize(
    ("email", "password"),
    [("coach@example.com", "wrong-password"), ("nobody@example.com", "coach-password-1")],
)
def test_wrong_password_and_unknown_email_get_the_same_answer(sdk, email, password):
    """400 invalid_credentials "Invalid login credentials" for both: emails cannot be probed."""
    error = _refused(lambda: sdk.auth.sign_in_with_password({"email": email, "password": password}))
    assert (error.status, error.code, error.message) == (400, "invalid_credentials", rules.INVALID_LOGIN)


def test_unconfirmed_email_is_said_only_after_the_right_password(sdk, auth_server):
    """GoTrue checks the password first: a wrong one stays "Invalid login credentials"."""
    wrong = _refused(lambda: sdk.auth.sign_in_with_password({"email": "new@example.com", "password": "nope"}))
    assert wrong.code == "invalid_credentials"
    right = _refused(
        lambda: sdk.auth.sign_in_with_password({"email": "new@example.com", "password": "newcomer-password"})
    )
    assert (right.status, right.code, right.message) == (400, "email_not_confirmed", rules.EMAIL_NOT_CONFIRMED)
    auth_server.state.confirm("new@example.com")
    assert sdk.auth.sign_in_with_password({"email": "new@example.com", "password": "newcomer-password"}).user


def test_older_servers_answer_with_oauth_errors(sdk, auth_server):
    """An older GoTrue: 400 {"error": "invalid_grant", "error_description": ...}; the SDK then has no code."""
    auth_server.oauth_errors = True
    error = _refused(lambda: sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "no"}))
    assert (error.status, error.code, error.message) == (400, None, rules.INVALID_LOGIN)


def test_refresh_rotates_and_a_late_reuse_ends_the_session(sdk, moment):
    """grant_type=refresh_token rotates; the old token within 10 s gives the current one again, later it is
    "Already Used" and the whole session is revoked."""
    session = sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"}).session
    first = session.refresh_token
    second = sdk.auth.refresh_session(first).session.refresh_token
    assert second != first
    assert sdk.auth.refresh_session(first).session.refresh_token == second  # inside the reuse interval
    moment.advance(11)
    error = _refused(lambda: sdk.auth.refresh_session(first))
    assert (error.status, error.code, error.message) == (400, "refresh_token_already_used", rules.REFRESH_ALREADY_USED)
    assert _refused(lambda: sdk.auth.refresh_session(second)).code == "refresh_token_not_found"


def test_expired_sessions_and_unknown_tokens_are_refused(sdk, auth_server, moment):
    """A session past its timebox: "Session Expired"; a token never issued: "Refresh Token Not Found"."""
    auth_server.state.session_timebox = 60
    session = sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"}).session
    moment.advance(61)
    expired = _refused(lambda: sdk.auth.refresh_session(session.refresh_token))
    assert (expired.code, expired.message) == ("session_expired", rules.SESSION_EXPIRED)
    assert _refused(lambda: sdk.auth.refresh_session("never-issued")).code == "refresh_token_not_found"


def test_get_user_needs_a_live_access_token(sdk, moment):
    """GET /auth/v1/user: the user for a valid token; 403 bad_jwt once it expired."""
    session = sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"}).session
    assert sdk.auth.get_user(session.access_token).user.id == session.user.id
    moment.advance(3601)
    error = _refused(lambda: sdk.auth.get_user(session.access_token))
    assert (error.status, error.code) == (403, "bad_jwt")


def test_logout_revokes_the_session(sdk, auth_server):
    """POST /auth/v1/logout?scope=local: the refresh token and the access token's session are gone."""
    session = sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"}).session
    sdk.auth.sign_out({"scope": "local"})
    assert auth_server.calls[-1] == ("POST", "/auth/v1/logout", None)
    assert auth_server.state.active_sessions("coach@example.com") == 0
    assert _refused(lambda: sdk.auth.refresh_session(session.refresh_token)).code == "refresh_token_not_found"
    assert _refused(lambda: sdk.auth.get_user(session.access_token)).code == "session_not_found"


def test_token_endpoint_is_rate_limited(sdk, auth_server):
    """Past the per-address limit: 429 over_request_rate_limit, whatever the password."""
    auth_server.token_limiter.limit = 3
    for _ in range(3):
        sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"})
    error = _refused(
        lambda: sdk.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"})
    )
    assert (error.status, error.code, error.message) == (429, "over_request_rate_limit", rules.RATE_LIMITED)


def test_a_wrong_api_key_never_reaches_auth(auth_server):
    """Supabase's gateway answers 401 "Invalid API key" (no Auth error code)."""
    from supabase import ClientOptions, create_client

    client = create_client(auth_server.url, "not-the-key", ClientOptions(auto_refresh_token=False))
    error = _refused(
        lambda: client.auth.sign_in_with_password({"email": "coach@example.com", "password": "coach-password-1"})
    )
    client.auth.close()
    assert (error.status, error.code, error.message) == (401, None, "Invalid API key")
