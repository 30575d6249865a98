"""The drift section of the Schedules page: compare the store with QStash and repair each difference."""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from services.domain import Account, Actor
from services.drift import Drift
from services.errors import UserError
from services.schedules import ScheduleService
from ui import fmt


def show(schedules: ScheduleService, account: Account) -> None:
    """'Check QStash', then one row per drift with a Repair button."""
    actor = account.as_actor()
    st.subheader("Store and QStash agree?")
    st.caption("Compares every active schedule and upcoming one-time send with what QStash holds.")
    if st.button("Check QStash", key="list_drift_check", icon=":material/sync_problem:"):
        try:
            with st.spinner("Reading QStash schedules…"):
                st.session_state["list_drift"] = [asdict(d) for d in schedules.drift(actor)]
        except UserError as exc:
            st.warning(fmt.literal(exc.message))
            return
    found = st.session_state.get("list_drift")
    if found is None:
        return
    if not found:
        st.success("No drift: QStash matches the store.")
        return
    for n, row in enumerate(found):
        text, button = st.columns([5, 1])
        text.markdown(f"`{row['qstash_id'] or row['message_id']}` — {row['problem']}")
        if button.button("Repair", key=f"list_drift_repair_{n}"):
            _repair(schedules, actor, found, n)


def _repair(schedules: ScheduleService, actor: Actor, found: list[dict], n: int) -> None:
    """Make QStash match the store for one row and drop it from the list."""
    try:
        with st.spinner("Repairing…"):
            schedules.repair_drift(actor, Drift(**found[n]))
    except UserError as exc:
        st.session_state["list_flash"] = ("error", f"Repair failed: {fmt.literal(exc.message)}")
    else:
        st.session_state["list_flash"] = ("success", f"Repaired {found[n]['qstash_id'] or 'the message'}.")
        st.session_state["list_drift"] = found[:n] + found[n + 1 :]
    st.session_state.pop("list_repair_check", None)  # the opened message's Repair button asks QStash again
    st.rerun()
