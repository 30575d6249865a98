"""The one place pages get their services and the logged-in account from.

Session-state contract: "services" (a bootstrap.Services, injected by tests; else the process-wide one),
"account" (the logged-in domain.Account; absent means logged out), "session_token" (its server session, see
services.web_sessions; the browser keeps the same token in a cookie, so a reload or a new tab resumes it).
"""

from __future__ import annotations

import secrets

import streamlit as st

from services.bootstrap import Services, build_services
from services.config import load_settings
from services.domain import Account
from services.observability.startup import start_logging
from ui import session_cookie

SERVICES_KEY = "services"
ACCOUNT_KEY = "account"
TOKEN_KEY = "session_token"
EXPIRES_KEY = "session_expires_at"
DEAD_COOKIE_KEY = "dead_cookie_token"
BROWSER_KEY = "browser_id"


@st.cache_resource(show_spinner="Starting the scheduler services…")
def _process_services() -> Services:
    """Build the services once per process (engines and clients are thread-safe); logging is set up here too."""
    settings = load_settings()
    start_logging(settings)
    return build_services(settings)


def services() -> Services:
    """Injected services (tests) first, else the process-wide ones."""
    injected = st.session_state.get(SERVICES_KEY)
    return injected if injected is not None else _process_services()


def account() -> Account | None:
    """The logged-in account, checked against its server session on every run, so an expiry, a sign-out in
    another tab, a role change or a deactivation applies at once."""
    token = st.session_state.get(TOKEN_KEY) or _adopted_session() or _cookie_session()
    if token is None:
        return None
    current = services().web_sessions.resume(token)
    if current is None:
        log_out()
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACCOUNT_KEY] = current
    return current


def _adopted_session() -> str | None:
    """An account injected without a session (AppTest stories) gets a real server session, like a sign-in."""
    injected = st.session_state.get(ACCOUNT_KEY)
    return _start_session(injected) if injected is not None else None


def _cookie_session() -> str | None:
    """The token this browser sent, unless this connection already found it dead (it is sent until reload)."""
    sent = session_cookie.sent_token()
    return sent if sent != st.session_state.get(DEAD_COOKIE_KEY) else None


def _start_session(found: Account) -> str:
    """A new server session for the account; its cookie is written by sync_cookie()."""
    started = services().web_sessions.start(found)
    st.session_state[TOKEN_KEY] = started.token
    st.session_state[EXPIRES_KEY] = started.expires_at
    return started.token


def require_account() -> Account:
    """The logged-in account; a page reached without one stops with a hint."""
    found = account()
    if found is None:
        st.warning("Please log in first.")
        st.stop()
    return found


def require_support() -> Account:
    """The logged-in support or admin account; anyone else is told the page is for support staff, and stops."""
    found = require_account()
    if not found.as_actor().sees_all_coaches:
        st.info("This page is for support staff.")
        st.stop()
    return found


def log_in(found: Account) -> None:
    """Start a server session for the account; the rerun that follows shows the page the URL asked for."""
    _start_session(found)
    st.session_state[ACCOUNT_KEY] = found


def browser_id() -> str:
    """An unguessable id of this browser session, for throttling failed sign-ins per browser."""
    return st.session_state.setdefault(BROWSER_KEY, secrets.token_urlsafe(16))


def log_out() -> None:
    """End the server session, forget the account and every page's widget state (injected services stay);
    the cookie is cleared by sync_cookie()."""
    services().web_sessions.end(st.session_state.get(TOKEN_KEY))
    kept = st.session_state.get(SERVICES_KEY)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if kept is not None:
        st.session_state[SERVICES_KEY] = kept
    st.session_state[DEAD_COOKIE_KEY] = session_cookie.sent_token()


def sync_cookie() -> None:
    """Make the browser's cookie match this run: the new session's token after a sign-in, nothing after a
    sign-out or when the token it sent is dead. Nothing to write when the cookie sent at connect is right."""
    token, sent = st.session_state.get(TOKEN_KEY), session_cookie.sent_token()
    secure = services().settings.session_cookie_secure == "always"
    if token is not None and token != sent and EXPIRES_KEY in st.session_state:
        session_cookie.store(token, st.session_state[EXPIRES_KEY], services().clock(), secure)
    elif token is None and sent is not None:
        session_cookie.clear(secure)
