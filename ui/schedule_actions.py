"""The actions on one message of the Schedules page: pause, resume, repair, duplicate, cancel, delete."""

from __future__ import annotations

import time

import streamlit as st

from services.domain import Account, Message
from services.errors import UserError
from services.schedules import ScheduleService
from ui import compose_form, fmt

REPAIR_CHECK_SECONDS = 30
COMPOSE_PAGE = "pages/message_scheduler.py"


def repair_reason(schedules: ScheduleService, account: Account, message: Message) -> str | None:
    """Why the message needs Repair: asked of QStash when a message (or a new version) opens, then every half minute,
    not on every rerun of the page."""
    key = (message.id, message.version)
    cached = st.session_state.get("list_repair_check")
    if cached is None or cached[0] != key or time.monotonic() - cached[2] > REPAIR_CHECK_SECONDS:
        cached = (key, schedules.repair_reason(account.as_actor(), message.id), time.monotonic())
        st.session_state["list_repair_check"] = cached
    return cached[1]


def show(schedules: ScheduleService, account: Account, message: Message) -> None:
    """One row of buttons, each reporting what happened."""
    actor = account.as_actor()
    pause, resume, repair, duplicate, last = st.columns(5)
    chosen = None
    if pause.button("Pause", key="list_pause", disabled=message.status != "scheduled", icon=":material/pause:"):
        chosen = ("Paused", schedules.pause)
    if resume.button(
        "Resume", key="list_resume", disabled=message.status not in ("paused", "error"), icon=":material/play_arrow:"
    ):
        chosen = ("Resumed", schedules.resume)
    # Repair only when something needs it: the row's error, or QStash disagreeing with this message.
    reason = repair_reason(schedules, account, message) if message.status in ("scheduled", "error") else None
    if reason and repair.button("Repair", key="list_repair", icon=":material/build:", help=fmt.literal(reason)):
        chosen = ("Re-registered with QStash", schedules.repair)
    if account.role == "coach" and duplicate.button("Duplicate", key="list_duplicate", icon=":material/content_copy:"):
        _duplicate(schedules, account, message)
    # One tick box per message version: popping a widget's key does not untick it in the browser, which would
    # send the old tick back and let a single click cancel (or delete) the next message opened.
    sure = last.checkbox("I am sure", key=f"list_confirm_{message.id}_{message.version}")
    if message.status in ("cancelled", "completed"):
        if last.button("Delete", key="list_delete", disabled=not sure, icon=":material/delete:"):
            chosen = ("Deleted (its deliveries stay in the Delivery Log)", schedules.delete)
    elif last.button("Cancel message", key="list_cancel", disabled=not sure, icon=":material/cancel:"):
        chosen = ("Cancelled for good", schedules.cancel)
    if chosen:
        run(chosen[0], lambda: chosen[1](actor, message.id), message.title)


def _duplicate(schedules: ScheduleService, account: Account, message: Message) -> None:
    """Open the Message Scheduler with a copy of the message filled in, as a new form."""
    try:
        request = schedules.duplicate(account.as_actor(), message.id)
    except UserError as exc:
        st.session_state["list_flash"] = ("error", fmt.literal(exc.message))
        st.rerun()
    # A new form: a new submission key, and the default date and time when the copy has none.
    for name in ("submission", "confirm_frequent", "date", "time"):
        st.session_state.pop(f"sched_{name}", None)
    compose_form.load("sched", request)
    st.session_state["sched_notice"] = (
        "info",
        f"A copy of “{fmt.literal(message.title)}”: check the time and audience, then press Schedule Message.",
    )
    st.switch_page(COMPOSE_PAGE)


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
