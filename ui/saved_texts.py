"""Saved texts in the compose form: pick one to use, save the current text under a name, delete one."""

from __future__ import annotations

import streamlit as st

from services.domain import Account
from services.errors import UserError
from services.schedules import ScheduleService
from ui import fmt


def _use(prefix: str, body: str) -> None:
    """Put a saved text into the Message field (a callback: it runs before the field is drawn)."""
    st.session_state[f"{prefix}_body"] = body


def _delete(schedules: ScheduleService, account: Account, template_id: str, prefix: str) -> None:
    """Forget a saved text and say so."""
    try:
        schedules.templates.delete(account.as_actor(), template_id)
    except UserError as exc:
        st.session_state[f"{prefix}_saved_flash"] = ("error", fmt.literal(exc.message))
    else:
        st.session_state[f"{prefix}_saved_flash"] = ("success", "Deleted the saved text.")


def _save(schedules: ScheduleService, account: Account, prefix: str) -> None:
    """Keep the Message field's text under the typed name (a callback, so the list below already has it and no
    st.rerun() cuts the form short: widgets a cut-short run never drew fall back to their defaults)."""
    name = st.session_state.get(f"{prefix}_saved_name", "")
    try:
        schedules.templates.save(account.as_actor(), name, st.session_state.get(f"{prefix}_body", ""))
    except UserError as exc:
        st.session_state[f"{prefix}_saved_flash"] = ("error", fmt.literal(exc.message))
    else:
        st.session_state[f"{prefix}_saved_flash"] = ("success", f"Saved “{fmt.literal(name.strip())}”.")


def show(schedules: ScheduleService, account: Account, prefix: str = "sched") -> None:
    """The "Saved texts" expander under the Message field."""
    actor = account.as_actor()
    with st.expander("Saved texts", icon=":material/bookmarks:"):
        fmt.show_flash(f"{prefix}_saved_flash")
        saved = {t["id"]: t for t in schedules.templates.list(actor)}
        if saved:
            pick, use, drop = st.columns([3, 1, 1], vertical_alignment="bottom")
            chosen = pick.selectbox(
                "Saved text",
                list(saved),
                format_func=lambda i: saved[i]["name"] if i in saved else str(i),
                index=None,
                key=f"{prefix}_saved_pick",
                placeholder="Choose a saved text",
            )
            chosen = chosen if chosen in saved else None  # a text deleted meanwhile
            body = saved[chosen]["body"] if chosen else ""
            use.button("Use", key=f"{prefix}_saved_use", disabled=not chosen, on_click=_use, args=(prefix, body))
            drop.button(
                "Delete",
                key=f"{prefix}_saved_delete",
                disabled=not chosen,
                on_click=_delete,
                args=(schedules, account, chosen, prefix),
            )
        name_column, save_column = st.columns([4, 1], vertical_alignment="bottom")
        name_column.text_input("Name for the text above", key=f"{prefix}_saved_name", max_chars=80)
        save_column.button(
            "Save text",
            key=f"{prefix}_saved_save",
            icon=":material/bookmark_add:",
            on_click=_save,
            args=(schedules, account, prefix),
        )
