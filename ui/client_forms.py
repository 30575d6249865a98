"""The Clients page's table, "Add client" form and per-client edit form (widget keys start with `clients_`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.client_admin import ClientService
from services.domain import Account, Client
from services.errors import SchedulerUnavailable, UserError
from ui import fmt
from ui.compose_form import zone_picker

ADD_KEYS = ("clients_add_name", "clients_add_tags")
FIELD_LABELS = {"name": "Name", "timezone": "Time zone", "tags": "Tags", "coach": "Coach", "client": "Client"}


def frame(rows: list[Client], coach_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The table as the page and the CSV show it."""
    records = [
        {
            **({"Coach": coach_names.get(c.coach_id, c.coach_id)} if coach_names is not None else {}),
            "Name": c.name,
            "Time zone": c.timezone,
            "Tags": ", ".join(c.tags),
            "Active": c.active,
            "Client id": c.id,
        }
        for c in rows
    ]
    columns = (["Coach"] if coach_names is not None else []) + ["Name", "Time zone", "Tags", "Active", "Client id"]
    return pd.DataFrame(records, columns=columns)


def _error_text(exc: UserError) -> str:
    """A validation message with the field it is about."""
    return fmt.error_text(exc, FIELD_LABELS)


def _save(action, done: str) -> bool:
    """Run one client change; success (or saved-but-QStash-failed) becomes the next run's flash message."""
    try:
        with st.spinner("Saving…"):
            action()
    except SchedulerUnavailable as exc:  # the client change is saved; only re-registering schedules failed
        st.session_state["clients_flash"] = ("warning", f"{done} {fmt.literal(exc.message)}")
    except UserError as exc:
        st.error(_error_text(exc))
        return False
    else:
        st.session_state["clients_flash"] = ("success", done)
    return True


def add_form(clients: ClientService, account: Account, coach_names: dict[str, str] | None) -> None:
    """Name, zone, tags (and, for support/admin, the coach); a bad value is shown and nothing is written."""
    actor = account.as_actor()
    if st.session_state.pop("clients_added", False):  # a fresh form after a successful add
        for key in ADD_KEYS:
            st.session_state.pop(key, None)
    with st.form("clients_add_form"):
        coach_id = None
        if coach_names is not None:
            coach_id = st.selectbox(
                "Coach",
                list(coach_names),
                format_func=coach_names.get,
                index=None,
                key="clients_add_coach",
                placeholder="Whose client is this?",
            )
        name = st.text_input("Name", key="clients_add_name", max_chars=clients.max_name)
        zone = zone_picker("Time zone", "clients_add_zone", account.timezone)
        tags = st.multiselect(
            "Tags",
            clients.tags(actor),
            key="clients_add_tags",
            accept_new_options=True,
            placeholder="Choose or type new tags",
        )
        submitted = st.form_submit_button("Add client", type="primary", icon=":material/person_add:")
    if submitted and _save(
        lambda: clients.add(actor, name, zone, tags, coach_id),
        f"Added {fmt.literal(name.strip())}.",
    ):
        st.session_state["clients_added"] = True
        st.rerun()


def _prefill(client: Client) -> None:
    """Load the client into the edit form once per opened client."""
    if st.session_state.get("clients_edit_loaded") == client.id:
        return
    st.session_state.update(
        {
            "clients_edit_loaded": client.id,
            "clients_edit_name": client.name,
            "clients_edit_zone": client.timezone,
            "clients_edit_tags": list(client.tags),
            "clients_edit_active": client.active,
        }
    )


def edit_form(clients: ClientService, account: Account, client_id: str) -> None:
    """Name, zone, tags and active for one client the account may change."""
    actor = account.as_actor()
    try:
        client = clients.get(actor, client_id)
    except UserError as exc:
        st.error(fmt.literal(exc.message))
        return
    _prefill(client)
    with st.form("clients_edit_form"):
        name = st.text_input("Name", key="clients_edit_name", max_chars=clients.max_name)
        zone = zone_picker("Time zone", "clients_edit_zone")
        options = sorted(set(clients.tags(actor)) | set(client.tags))
        tags = st.multiselect(
            "Tags", options, key="clients_edit_tags", accept_new_options=True, placeholder="Choose or type new tags"
        )
        active = st.toggle("Active (inactive clients are skipped when messages send)", key="clients_edit_active")
        submitted = st.form_submit_button("Save client", type="primary", icon=":material/save:")
    if submitted and _save(
        lambda: clients.edit(actor, client.id, name, zone, tags, active),
        f"Saved {fmt.literal(name.strip())}.",
    ):
        st.session_state.pop("clients_edit_loaded", None)
        st.rerun()
