"""One message on the Schedules page: body, recipients, audit trail, and the actions on it."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from services.domain import Account, Message
from services.errors import UserError
from services.schedule_summary import rule_text
from services.schedules import ScheduleService
from ui import edit_form, fmt
from ui.fmt import local

REPAIR_CHECK_SECONDS = 30


def show(schedules: ScheduleService, account: Account, message_id: str) -> None:
    """Details and actions of one message the account may see."""
    actor = account.as_actor()
    try:
        message = schedules.get(actor, message_id)
    except UserError as exc:
        st.error(fmt.literal(exc.message))
        return
    with st.container(border=True):
        st.subheader(fmt.literal(message.title))
        st.caption(f"{rule_text(vars(message))} · status **{message.status}** · version {message.version}")
        if message.last_error:
            st.error(f"Last error: {fmt.literal(message.last_error)}")
        elif message.status == "scheduled" and _repair_reason(schedules, account, message):
            st.warning(f"QStash disagrees: {fmt.literal(_repair_reason(schedules, account, message))}")
        st.text(message.body)
        st.markdown(f"**Recipients:** {fmt.literal(schedules.recipients(actor, message))}")
        links = schedules.links(message.id)
        if links:
            st.caption("QStash: " + ", ".join(f"{zone} → `{qid}`" for zone, qid in links.items()))
        _actions(schedules, account, message)
        if message.status not in ("cancelled", "completed"):
            with st.expander("Edit", icon=":material/edit:"):
                edit_form.show(schedules, account, message)
        st.markdown("**Audit trail**")
        st.dataframe(_audit(schedules, account, message), hide_index=True, key="list_audit")


def _audit(schedules: ScheduleService, account: Account, message: Message) -> pd.DataFrame:
    """Who did what to the message, newest first, in words."""
    events = schedules.audit_trail(account.as_actor(), message.id, account.timezone)
    return pd.DataFrame(
        [
            {"When": local(e["at"], account.timezone), "Action": e["action"], "By": e["by"], "Changes": e["changes"]}
            for e in events
        ],
        columns=["When", "Action", "By", "Changes"],
    )


def _repair_reason(schedules: ScheduleService, account: Account, message: Message) -> str | None:
    """Why the message needs Repair: asked of QStash when a message (or a new version) opens, then every half minute,
    not on every rerun of the page."""
    key = (message.id, message.version)
    cached = st.session_state.get("list_repair_check")
    if cached is None or cached[0] != key or time.monotonic() - cached[2] > REPAIR_CHECK_SECONDS:
        cached = (key, schedules.repair_reason(account.as_actor(), message.id), time.monotonic())
        st.session_state["list_repair_check"] = cached
    return cached[1]


def _actions(schedules: ScheduleService, account: Account, message: Message) -> None:
    """Pause / resume / repair / cancel, each reporting what happened."""
    actor = account.as_actor()
    pause, resume, repair, cancel = st.columns(4)
    chosen = None
    if pause.button("Pause", key="list_pause", disabled=message.status != "scheduled", icon=":material/pause:"):
        chosen = ("Paused", schedules.pause)
    if resume.button(
        "Resume", key="list_resume", disabled=message.status not in ("paused", "error"), icon=":material/play_arrow:"
    ):
        chosen = ("Resumed", schedules.resume)
    # Repair only when something needs it: the row's error, or QStash disagreeing with this message.
    reason = _repair_reason(schedules, account, message) if message.status in ("scheduled", "error") else None
    if reason and repair.button("Repair", key="list_repair", icon=":material/build:", help=fmt.literal(reason)):
        chosen = ("Re-registered with QStash", schedules.repair)
    done = message.status in ("cancelled", "completed")
    # One tick box per message version: popping a widget's key does not untick it in the browser, which would
    # send the old tick back and let a single click cancel the next message opened.
    sure = cancel.checkbox("I am sure", key=f"list_cancel_confirm_{message.id}_{message.version}", disabled=done)
    if cancel.button("Cancel message", key="list_cancel", disabled=done or not sure, icon=":material/cancel:"):
        chosen = ("Cancelled for good", schedules.cancel)
    if chosen:
        run(chosen[0], lambda: chosen[1](actor, message.id), message.title)


def run(label: str, action, title: str) -> None:
    """Do one action with a spinner, then rerun with the outcome as a flash message."""
    try:
        with st.spinner("Talking to QStash…"):
            action()
    except UserError as exc:
        st.session_state["list_flash"] = ("error", f"“{fmt.literal(title)}”: {fmt.literal(exc.message)}")
    else:
        st.session_state["list_flash"] = ("success", f"{label}: “{fmt.literal(title)}”.")
    st.session_state.pop("list_repair_check", None)
    st.session_state.pop("list_edit_loaded", None)
    st.rerun()
