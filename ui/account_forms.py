"""The Accounts page's table, "Create account" form and per-account forms (widget keys start with `accounts_`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.account_admin import AccountService
from services.domain import Account
from services.errors import UserError
from ui import fmt
from ui.compose_form import zone_picker

ADD_KEYS = ("accounts_add_email", "accounts_add_name", "accounts_add_role", "accounts_add_password")
FIELD_LABELS = {
    "email": "Email",
    "display_name": "Display name",
    "timezone": "Time zone",
    "role": "Role",
    "password": "Password",
    "active": "Active",
}


def frame(rows: list[Account]) -> pd.DataFrame:
    """The table as the page and the CSV show it."""
    columns = ["Email", "Name", "Role", "Time zone", "Active"]
    records = [
        {"Email": a.email, "Name": a.display_name, "Role": a.role, "Time zone": a.timezone, "Active": a.active}
        for a in rows
    ]
    return pd.DataFrame(records, columns=columns)


def _save(action, done: str) -> bool:
    """Run one account change; success becomes the next run's flash message, a refusal is shown here."""
    try:
        with st.spinner("Saving…"):
            action()
    except UserError as exc:
        st.error(fmt.error_text(exc, FIELD_LABELS))
        return False
    st.session_state["accounts_flash"] = ("success", done)
    return True


def add_form(accounts: AccountService, account: Account) -> None:
    """Email, name, zone, role and an initial password; a bad value is shown and nothing is written."""
    if st.session_state.pop("accounts_added", False):  # a fresh form (and no password left) after a create
        for key in ADD_KEYS:
            st.session_state.pop(key, None)
    with st.form("accounts_add_form"):
        email = st.text_input("Email", key="accounts_add_email", max_chars=accounts.max_email)
        name = st.text_input("Display name", key="accounts_add_name", max_chars=accounts.max_name)
        zone = zone_picker("Time zone", "accounts_add_zone", account.timezone)
        role = st.selectbox("Role", accounts.roles, key="accounts_add_role")
        password = st.text_input(
            "Initial password (at least 10 characters)",
            type="password",
            key="accounts_add_password",
            autocomplete="new-password",
        )
        submitted = st.form_submit_button("Create account", type="primary", icon=":material/person_add:")
    if submitted and _save(
        lambda: accounts.create(account.as_actor(), email, name, zone, role, password),
        f"Created {fmt.literal(email.strip().lower())} ({role}).",
    ):
        st.session_state["accounts_added"] = True
        st.rerun()


def _prefill(found: Account) -> None:
    """Load the account into the edit form once per opened account."""
    if st.session_state.get("accounts_edit_loaded") == found.id:
        return
    st.session_state.update(
        {
            "accounts_edit_loaded": found.id,
            "accounts_edit_name": found.display_name,
            "accounts_edit_zone": found.timezone,
            "accounts_edit_role": found.role,
            "accounts_edit_active": found.active,
        }
    )


def edit_form(accounts: AccountService, account: Account, account_id: str) -> None:
    """Name, zone, role and active for one account, then a separate form to set a new password."""
    actor = account.as_actor()
    try:
        found = accounts.get(actor, account_id)
    except UserError as exc:
        st.error(fmt.literal(exc.message))
        return
    _prefill(found)
    if found.id == account.id:
        st.caption("This is your own account: you cannot deactivate it or remove its admin role.")
    with st.form("accounts_edit_form"):
        name = st.text_input("Display name", key="accounts_edit_name", max_chars=accounts.max_name)
        zone = zone_picker("Time zone", "accounts_edit_zone")
        role = st.selectbox("Role", accounts.roles, key="accounts_edit_role")
        active = st.toggle("Active (an inactive account cannot log in)", key="accounts_edit_active")
        submitted = st.form_submit_button("Save account", type="primary", icon=":material/save:")
    # The rerun re-reads the signed-in account, so the sidebar shows an admin's own new name and zone.
    if submitted and _save(
        lambda: accounts.edit(actor, found.id, name, zone, role, active), f"Saved {fmt.literal(found.email)}."
    ):
        st.session_state.pop("accounts_edit_loaded", None)
        st.rerun()
    password_form(accounts, account, found)


def password_form(accounts: AccountService, account: Account, found: Account) -> None:
    """Set a new password for the account; the field is emptied after a successful change."""
    if st.session_state.pop("accounts_password_done", False):
        st.session_state.pop("accounts_password", None)
    with st.form("accounts_password_form"):
        password = st.text_input(
            f"New password for {found.email} (at least 10 characters)",
            type="password",
            key="accounts_password",
            autocomplete="new-password",
        )
        submitted = st.form_submit_button("Set password", icon=":material/password:")
    if submitted and _save(
        lambda: accounts.set_password(account.as_actor(), found.id, password),
        f"New password set for {fmt.literal(found.email)}.",
    ):
        st.session_state["accounts_password_done"] = True
        st.rerun()
