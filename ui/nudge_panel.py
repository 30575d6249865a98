"""A message's nudges on the Schedules page: when each goes, to how many, and cancelling one that has not gone."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.domain import Account, Message
from services.errors import UserError
from services.nudges import NudgeService
from ui import fmt
from ui.fmt import local

COLUMNS = ["Occurrence", "Zone", "Goes at", "Status", "Sent", "Held back", "Note"]


def table(rows: list[dict], zone: str) -> pd.DataFrame:
    """One row per occurrence's nudge."""
    return pd.DataFrame(
        [
            {
                "Occurrence": r["slot"],
                "Zone": r["zone"],
                "Goes at": local(r["due_at"], zone),
                "Status": r["status"],
                "Sent": r["sent"],
                "Held back": r["skipped"],
                "Note": r["reason"] or "",
            }
            for r in rows
        ],
        columns=COLUMNS,
    )


def show(nudges: NudgeService, account: Account, message: Message) -> None:
    """The nudges of a message with a follow-up, and Cancel for those still to go."""
    if message.follow_up is None:
        return
    follow_up = message.follow_up
    st.markdown(f"**Follow-up** after {follow_up.delay_seconds / 3600:g} h without a reply:")
    st.text(follow_up.body)
    rows = nudges.for_message(account.as_actor(), message.id)
    if not rows:
        st.caption("Each send schedules its nudge once it has gone out.")
        return
    st.dataframe(table(rows, account.timezone), hide_index=True, key="list_nudges")
    waiting = {r["id"]: f"{r['slot']} ({r['zone']})" for r in rows if r["status"] == "scheduled"}
    if not waiting:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Nudge to cancel", list(waiting), format_func=waiting.get, key="list_nudge_pick")
    if right.button("Cancel nudge", key="list_nudge_cancel", icon=":material/notifications_off:", disabled=not chosen):
        try:
            nudges.cancel(account.as_actor(), chosen)
        except UserError as exc:
            st.session_state["list_flash"] = ("error", fmt.literal(exc.message))
        else:
            st.session_state["list_flash"] = ("success", "Nudge cancelled: nobody will get it.")
        st.rerun()
