"""The one place pages get their services and the logged-in account from.

Session-state contract: "services" (a bootstrap.Services, injected by tests; else the process-wide one),
"account" (the logged-in domain.Account; absent means logged out).
"""

from __future__ import annotations

import secrets

import streamlit as st

from services.bootstrap import Services, build_services
from services.domain import Account

SERVICES_KEY = "services"
ACCOUNT_KEY = "account"
SIGNED_IN_KEY = "signed_in_at"
BROWSER_KEY = "browser_id"


@st.cache_resource(show_spinner="Starting the scheduler services…")
def _process_services() -> Services:
    """Build the services once per process (engines and clients are thread-safe)."""
    return build_services()


def services() -> Services:
    """Injected services (tests) first, else the process-wide ones."""
    injected = st.session_state.get(SERVICES_KEY)
    return injected if injected is not None else _process_services()


def account() -> Account | None:
    """The logged-in account, re-read on every run so a role change or deactivation applies at once."""
    found = st.session_state.get(ACCOUNT_KEY)
    if found is None:
        return None
    # A session injected without a sign-in time (AppTest stories) counts from its first run.
    signed_in_at = st.session_state.setdefault(SIGNED_IN_KEY, services().clock())
    current = services().accounts.current(found.id, signed_in_at)
    if current is None:
        log_out()
        return None
    st.session_state[ACCOUNT_KEY] = current
    return current


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
    """Remember the account for this browser session, and when it signed in (a later password reset ends it)."""
    st.session_state[ACCOUNT_KEY] = found
    st.session_state[SIGNED_IN_KEY] = services().clock()


def browser_id() -> str:
    """An unguessable id of this browser session, for throttling failed sign-ins per browser."""
    return st.session_state.setdefault(BROWSER_KEY, secrets.token_urlsafe(16))


def log_out() -> None:
    """Forget the account and every page's widget state (the injected services stay)."""
    kept = st.session_state.get(SERVICES_KEY)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if kept is not None:
        st.session_state[SERVICES_KEY] = kept
