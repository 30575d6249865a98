"""The Message Scheduler's question before a big send: the count and the rule in words, then Yes or Not yet."""

from __future__ import annotations

import streamlit as st

from services.compose import ScheduleRequest
from services.domain import Account
from services.schedules import ScheduleService
from ui import fmt

KEY = "sched_asking"


def ask(question: str) -> None:
    """Remember the service's question for the next run, which shows it."""
    st.session_state[KEY] = question
    st.rerun()


def show(schedules: ScheduleService, account: Account, request: ScheduleRequest) -> bool:
    """The pending question, if it still fits the form; True when the coach answers Yes on this run."""
    slot = st.container()  # always drawn, so the elements below never shift when the question comes and goes
    asked = st.session_state.get(KEY)
    if not asked:
        return False
    if schedules.big_send_question(account, request) != asked:  # the form changed since: ask again on the next press
        st.session_state.pop(KEY, None)
        return False
    with slot.container(border=True):
        st.warning(f"{fmt.literal(asked)} Do you want to go ahead?", icon=":material/group:")
        yes, no = st.columns(2)
        label = "Yes, send it now" if request.send_now else "Yes, schedule it"
        if yes.button(label, key="sched_confirm_yes", type="primary"):
            st.session_state.pop(KEY, None)
            return True
        if no.button("Not yet", key="sched_confirm_no"):
            st.session_state.pop(KEY, None)
            st.rerun()
    return False
