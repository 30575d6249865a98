"""One message on the Schedules page: body, recipients, audit trail, and the actions on it."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from services.bootstrap import Services
from services.domain import Account, Message
from services.errors import UserError
from ui import edit_form
from ui.fmt import local
from ui.schedule_table import rule_text


def show(services: Services, account: Account, message_id: str) -> None:
    """Details and actions of one message the account may see."""
    actor = account.as_actor()
    try:
        message = services.store.messages.get(actor, message_id)
    except UserError as exc:
        st.error(exc.message)
        return
    with st.container(border=True):
        st.subheader(message.title)
        st.caption(f"{rule_text(vars(message))} · status **{message.status}** · version {message.version}")
        if message.last_error:
            st.error(f"Last error: {message.last_error}")
        st.text(message.body)
        st.markdown(f"**Recipients:** {_recipients(services, account, message)}")
        links = services.store.messages.qstash_links(message.id)
        if links:
            st.caption("QStash: " + ", ".join(f"{zone} → `{qid}`" for zone, qid in links.items()))
        _actions(services, account, message)
        if message.status not in ("cancelled", "completed"):
            with st.expander("Edit", icon=":material/edit:"):
                edit_form.show(services, account, message)
        st.markdown("**Audit trail**")
        st.dataframe(_audit(services, account, message), hide_index=True, key="list_audit")


def _recipients(services: Services, account: Account, message: Message) -> str:
    """Who the message targets, in words."""
    if message.target == "all":
        return "all clients"
    if message.target == "tag":
        return f"clients tagged '{message.target_tag}'"
    names = [c.name for c in services.store.clients.get_many(account.as_actor(), list(message.client_ids))]
    return ", ".join(names) or "nobody"


def _audit(services: Services, account: Account, message: Message) -> pd.DataFrame:
    """Who did what to the message, newest first."""
    events = services.store.audit.list(account.as_actor(), message_id=message.id)
    return pd.DataFrame(
        [
            {
                "When": local(e["at"], account.timezone),
                "Action": e["action"],
                "By": e["actor_id"] or "system",
                "Old": json.dumps(e["old_values"], ensure_ascii=False) if e["old_values"] else "",
                "New": json.dumps(e["new_values"], ensure_ascii=False) if e["new_values"] else "",
            }
            for e in events
        ],
        columns=["When", "Action", "By", "Old", "New"],
    )


def _actions(services: Services, account: Account, message: Message) -> None:
    """Pause / resume / repair / cancel, each reporting what happened."""
    actor = account.as_actor()
    pause, resume, repair, cancel = st.columns(4)
    chosen = None
    if pause.button("Pause", key="list_pause", disabled=message.status != "scheduled", icon=":material/pause:"):
        chosen = ("Paused", services.schedules.pause)
    if resume.button(
        "Resume", key="list_resume", disabled=message.status not in ("paused", "error"), icon=":material/play_arrow:"
    ):
        chosen = ("Resumed", services.schedules.resume)
    if repair.button(
        "Repair", key="list_repair", disabled=message.status not in ("scheduled", "error"), icon=":material/build:"
    ):
        chosen = ("Re-registered with QStash", services.schedules.repair)
    done = message.status in ("cancelled", "completed")
    sure = cancel.checkbox("I am sure", key="list_cancel_confirm", disabled=done)
    if cancel.button("Cancel message", key="list_cancel", disabled=done or not sure, icon=":material/cancel:"):
        chosen = ("Cancelled for good", services.schedules.cancel)
    if chosen:
        run(chosen[0], lambda: chosen[1](actor, message.id), message.title)


def run(label: str, action, title: str) -> None:
    """Do one action with a spinner, then rerun with the outcome as a flash message."""
    try:
        with st.spinner("Talking to QStash…"):
            action()
    except UserError as exc:
        st.session_state["list_flash"] = ("error", f"“{title}”: {exc.message}")
    else:
        st.session_state["list_flash"] = ("success", f"{label}: “{title}”.")
    st.session_state.pop("list_cancel_confirm", None)
    st.session_state.pop("list_edit_loaded", None)
    st.rerun()
