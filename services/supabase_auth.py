"""Logins checked by Supabase Auth through the official SDK; the dashboard account is the active one with that email."""

from __future__ import annotations

import logging

from services.domain import Account
from services.errors import SignInUnavailable, UserError
from services.store.accounts import AccountRepository
from services.validation import MAX_PASSWORD_BYTES, normalised_email

log = logging.getLogger(__name__)

WRONG_PASSWORD = "Wrong email or password."
UNREACHABLE = "Signing in is not possible right now: the sign-in service cannot be reached. Try again in a few minutes."
NOT_CONFIRMED = "Your email address is not confirmed yet. Open the link in the confirmation email, then sign in again."
RATE_LIMITED = "Signing in is not possible right now: too many sign-in attempts. Wait a few minutes and try again."
BANNED = "This login is blocked. Ask an admin."
NO_ACCOUNT = "This login has no active dashboard account. Ask an admin to create or reactivate one."

# Auth's error codes (API version 2024-01-01) and what the person signing in is told.
ANSWERS = {
    "invalid_credentials": (UserError, WRONG_PASSWORD),
    "email_not_confirmed": (SignInUnavailable, NOT_CONFIRMED),
    "over_request_rate_limit": (SignInUnavailable, RATE_LIMITED),
    "user_banned": (UserError, BANNED),
}
# Older Auth servers answer the token endpoint with OAuth errors ("invalid_grant"): no code, only the message.
LEGACY_MESSAGES = {"Invalid login credentials": "invalid_credentials", "Email not confirmed": "email_not_confirmed"}


class SupabaseAuth:
    """Email + password checked by Supabase Auth (`sign_in_with_password`); no Supabase session outlives the check."""

    name = "supabase"

    def __init__(self, accounts: AccountRepository, url: str, anon_key: str):
        self.accounts = accounts
        self.url = url
        self.anon_key = anon_key

    def login(self, email: str, password: str) -> Account:
        """The active account with this email, once Supabase accepted the password; a UserError saying why not."""
        address = normalised_email(email)
        if not password or len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
            raise UserError(WRONG_PASSWORD)  # never sent: Auth would refuse it too
        client = self._client()
        try:
            auth_user_id = self._sign_in(client, address, password)
            found = self.accounts.find_by_email(address)
            if found is None or not found[0].active:
                raise UserError(NO_ACCOUNT)
            # Row-level security matches auth.uid() to this column (migration 0006s).
            self.accounts.link_auth_user(found[0].id, auth_user_id)
            return found[0]
        finally:
            _sign_out(client)

    def _client(self):
        """A client for this one sign-in: no timer thread refreshing a session nobody uses, nothing shared."""
        from supabase import ClientOptions, create_client  # imported here: only Supabase installs reach it

        return create_client(self.url, self.anon_key, ClientOptions(auto_refresh_token=False, persist_session=False))

    @staticmethod
    def _sign_in(client, address: str, password: str) -> str:
        """The Supabase user id for these credentials."""
        from supabase_auth.errors import AuthApiError, AuthError

        try:
            return client.auth.sign_in_with_password({"email": address, "password": password}).user.id
        except AuthApiError as exc:
            raise _answer(exc) from None
        except AuthError as exc:  # refused connection, timeout, 502/503/504, an answer that is not Auth's
            log.warning("Supabase Auth unreachable (%s: %s)", type(exc).__name__, exc.message)
            raise SignInUnavailable(UNREACHABLE) from None


def _answer(exc) -> UserError:
    """What an Auth refusal means for the person signing in; anything unexpected is not their password."""
    code = "over_request_rate_limit" if exc.status == 429 else exc.code or LEGACY_MESSAGES.get(exc.message)
    if code in ANSWERS:
        kind, message = ANSWERS[code]
        return kind(message)
    # An invalid API key (SUPABASE_ANON_KEY), a 500: the operator must look; the user must not be told "wrong".
    log.warning("Supabase Auth refused a sign-in: HTTP %s %s", exc.status, code or exc.message)
    return SignInUnavailable(UNREACHABLE)


def _sign_out(client) -> None:
    """Revoke the Supabase session at once: the dashboard keeps its own, and Auth keeps an unused refresh token
    valid until it is used or revoked."""
    try:
        client.auth.sign_out({"scope": "local"})  # no request when the sign-in failed
    except Exception as exc:  # the sign-in itself stands; a failed revocation is only logged
        log.info("Supabase sign-out after sign-in failed (%s)", type(exc).__name__)
    finally:
        client.auth.close()
