"""The app shell: login page, the role's navigation, and the shared sidebar."""

from __future__ import annotations

import logging

import streamlit as st

from services.bootstrap import Services
from services.domain import ROLES, Account
from services.errors import UserError
from ui import fmt, runtime

log = logging.getLogger(__name__)


def login_page() -> None:
    """Email + password form; a failed login says so and nothing more."""
    st.title("Coach Message Scheduler")
    st.caption("Schedule chat messages to your clients: once, daily, weekly or on any cron rule.")
    with st.form("login_form"):
        email = st.text_input("Email", key="login_email", autocomplete="email")
        # autocomplete lets password managers fill (and offer to save) the password.
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    _demo_logins()
    if submitted:
        try:
            found = runtime.services().auth.login(email, password, runtime.browser_id())
        except UserError as exc:
            st.error(fmt.literal(exc.message))
            return
        except Exception:  # the login backend broke: say so without a stack trace or its details
            log.exception("login failed unexpectedly")
            st.error("Logging in is not possible right now. Try again in a minute or ask support.")
            return
        runtime.log_in(found)
        st.rerun()


def _demo_logins() -> None:
    """In the offline demo only: which logins exist, so a first visit needs no README."""
    logins = runtime.services().auth.demo_logins()
    if not logins:
        return
    with st.container(border=True):
        st.markdown("**Demo logins** (offline demo only)")
        for email, password, who in logins:
            st.markdown(f"- `{email}` / `{password}` — {fmt.literal(who)}")


def has_local_inbox(services: Services) -> bool:
    """True when chat goes to the local inbox (embedded mode), so the Inbox page makes sense."""
    return services.inbox is not None


def pages_for(account: Account, services: Services) -> list:
    """The pages this account's role may open, in menu order."""
    return pages_for_role(account.role, services)


def pages_for_role(role: str, services: Services) -> list:
    """The pages a role may open, in menu order."""
    # url_paths differ from the file names on purpose: Streamlit's legacy pages/ mode would otherwise run a
    # page file directly (skipping app.py's login gate and sidebar) on a fresh process or in AppTest.
    compose = st.Page(
        "pages/message_scheduler.py", title="Message Scheduler", icon=":material/edit_calendar:", url_path="compose"
    )
    schedules = st.Page(
        "pages/schedules.py", title="Schedules", icon=":material/event_repeat:", url_path="schedule-list"
    )
    log_page = st.Page(
        "pages/delivery_log.py", title="Delivery Log", icon=":material/fact_check:", url_path="deliveries"
    )
    clients = st.Page("pages/clients.py", title="Clients", icon=":material/group:", url_path="client-list")
    inbox = st.Page("pages/inbox.py", title="Inbox", icon=":material/inbox:", url_path="local-inbox")
    qstash = st.Page(
        "pages/qstash.py", title="QStash health", icon=":material/monitor_heart:", url_path="qstash-health"
    )
    reports = st.Page("pages/reports.py", title="Reports", icon=":material/summarize:", url_path="support-reports")
    health = st.Page("pages/health.py", title="Health", icon=":material/health_and_safety:", url_path="system-health")
    accounts = st.Page(
        "pages/accounts.py", title="Accounts", icon=":material/manage_accounts:", url_path="account-admin"
    )
    if role == "coach":
        pages = [compose, schedules, clients, log_page]
    else:
        pages = [schedules, clients, log_page, reports, qstash, health] + ([accounts] if role == "admin" else [])
    return pages + ([inbox] if has_local_inbox(services) else [])


def every_page(services: Services) -> list:
    """Every page any role may open: while logged out each URL is known (no "Page not found") and shows the login
    form; after sign-in the same URL is the page itself (Streamlit identifies a page by its url_path)."""
    pages = {}
    for role in ROLES:
        for page in pages_for_role(role, services):
            pages.setdefault(page.url_path, page)
    return list(pages.values())


def backends(services: Services) -> list[tuple[str, str]]:
    """Which backend each part uses, in words (never a secret or a token)."""
    settings = services.settings
    scheduler = "local QStash server" if settings.embedded_qstash else "Upstash QStash"
    return [
        ("Database", "embedded SQLite" if settings.embedded_database else "PostgreSQL (DATABASE_URL)"),
        ("Scheduler", scheduler),
        ("Chat", "local inbox" if has_local_inbox(services) else "Stream Chat"),
        ("Login", "Supabase Auth" if settings.supabase_auth else "local accounts"),
    ]


def sidebar(account: Account, services: Services) -> None:
    """Who is logged in, log out, and the backends in use."""
    with st.sidebar:
        st.markdown(f"**{fmt.literal(account.display_name)}**  \n{fmt.literal(account.email)}")
        st.caption(f"Role: {account.role} · Time zone: {account.timezone}")
        if st.button("Log out", key="sidebar_logout", icon=":material/logout:"):
            runtime.log_out()
            st.rerun()
        mode = "embedded (offline demo)" if services.settings.embedded_qstash else "production"
        with st.expander(f"Backends: {mode}"):
            for part, used in backends(services):
                st.markdown(f"- {part}: {used}")
