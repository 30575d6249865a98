"""The edit form on the Schedules page: the compose form (keys start with `list_edit_`) prefilled from the message,
saved with a version check."""

from __future__ import annotations

import streamlit as st

from services.compose import request_for
from services.domain import Account, Actor, Message
from services.errors import Conflict, SchedulerUnavailable, UserError
from services.schedules import ScheduleService
from ui import compose_form, fmt

PREFIX = "list_edit"


def _prefill(message: Message) -> None:
    """Load the message into the form once per opened message, remembering the version it had."""
    if st.session_state.get(f"{PREFIX}_loaded") == message.id:
        return
    st.session_state[f"{PREFIX}_loaded"] = message.id
    st.session_state[f"{PREFIX}_version"] = message.version
    st.session_state.pop(f"{PREFIX}_conflict", None)
    compose_form.load(PREFIX, request_for(message))


def show(schedules: ScheduleService, account: Account, message: Message) -> None:
    """Edit everything the compose form covers; another user's change in between gives a Conflict message."""
    _prefill(message)
    conflict = st.session_state.get(f"{PREFIX}_conflict")
    if conflict:  # kept across reruns so the Reload button can be clicked; the typed edits stay until then
        st.error(f"{fmt.literal(conflict)} (Someone changed this message after you opened it.)")
        if st.button("Reload the message", key=f"{PREFIX}_reload", icon=":material/refresh:"):
            st.session_state.pop(f"{PREFIX}_loaded", None)
            st.session_state.pop(f"{PREFIX}_conflict", None)
            st.rerun()
    # Not an st.form: choosing "Clients with a tag" must show the tag picker straight away, as on compose.
    request = compose_form.form(schedules, account, PREFIX, owner=Actor(message.coach_id, "coach"))
    if not st.button("Save changes", key=f"{PREFIX}_save", type="primary", icon=":material/save:"):
        return
    try:
        with st.spinner("Saving and updating QStash…"):
            schedules.edit(account, message.id, request, st.session_state[f"{PREFIX}_version"])
    except Conflict as exc:
        st.session_state[f"{PREFIX}_conflict"] = exc.message
        st.rerun()
    except SchedulerUnavailable as exc:  # saved, but the row is in 'error' with this reason
        st.session_state["list_flash"] = (
            "error",
            f"Saved but not scheduled: {fmt.literal(exc.message)} Press Repair to retry.",
        )
    except UserError as exc:
        st.error(compose_form.error_text(exc))
        return
    else:
        st.session_state["list_flash"] = ("success", f"Saved: “{fmt.literal(request.title or message.title)}”.")
    st.session_state.pop(f"{PREFIX}_loaded", None)
    st.rerun()
