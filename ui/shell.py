"""The app shell: login page, the role's navigation, and the shared sidebar."""

from __future__ import annotations

import logging

import streamlit as st

from services.bootstrap import Services
from services.domain import Account
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


# Every page: (file, title, icon, url_path). The url_paths differ from the file names on purpose: Streamlit's
# legacy pages/ mode would otherwise run a page file directly (skipping app.py's login gate and sidebar) on a
# fresh process or in AppTest.
PAGES = {
    "compose": ("pages/message_scheduler.py", "Message Scheduler", ":material/edit_calendar:"),
    "schedule-list": ("pages/schedules.py", "Schedules", ":material/event_repeat:"),
    "deliveries": ("pages/delivery_log.py", "Delivery Log", ":material/fact_check:"),
    "client-list": ("pages/clients.py", "Clients", ":material/group:"),
    "local-inbox": ("pages/inbox.py", "Inbox", ":material/inbox:"),
    "qstash-health": ("pages/qstash.py", "QStash health", ":material/monitor_heart:"),
    "account-admin": ("pages/accounts.py", "Accounts", ":material/manage_accounts:"),
}
COACH_PAGES = ["compose", "schedule-list", "client-list", "deliveries"]
STAFF_PAGES = ["schedule-list", "client-list", "deliveries", "qstash-health"]


def _page(url_path: str) -> st.Page:
    """One page of the navigation, by its url_path."""
    script, title, icon = PAGES[url_path]
    return st.Page(script, title=title, icon=icon, url_path=url_path)


def pages_for(account: Account, services: Services) -> list:
    """The pages this role may open, in menu order."""
    if account.role == "coach":
        names = COACH_PAGES
    else:
        names = STAFF_PAGES + (["account-admin"] if account.role == "admin" else [])
    return [_page(name) for name in names + (["local-inbox"] if has_local_inbox(services) else [])]


def every_page(services: Services) -> list:
    """Every page anyone may open: while logged out each URL is known (no "Page not found"), shows the login
    form, and after sign-in becomes the page itself (a page's identity is its url_path)."""
    return [_page(name) for name in PAGES if name != "local-inbox" or has_local_inbox(services)]


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
