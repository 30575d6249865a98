"""The Message Scheduler's "Send a test to me": a sample client, the button, the outcome and the latest tests."""

from __future__ import annotations

import streamlit as st

from services.compose import ScheduleRequest
from services.domain import Account
from services.errors import UserError
from services.test_send import TestSendService
from ui import compose_form, fmt

KEY = "sched_test_client"


def show(test_sends: TestSendService, account: Account, request: ScheduleRequest) -> None:
    """Send the text as the chosen client would read it to the coach's own chat, now; nothing is scheduled."""
    st.markdown("**Send a test to me**")
    samples = {c.id: c.name for c in test_sends.samples(account, request)}
    if not samples:
        st.caption("Add a client first: the test is personalised as one of them would read it.")
        return
    if st.session_state.get(KEY) not in samples:  # the audience changed: the first of the new one
        st.session_state[KEY] = next(iter(samples))
    client_id = st.selectbox("Personalise as", list(samples), format_func=samples.get, key=KEY)
    outcome = st.container()
    if st.button("Send a test to me", key="sched_test", icon=":material/outgoing_mail:"):
        try:
            with st.spinner("Sending the test…"):
                test_sends.send(account, request, client_id)
        except UserError as exc:
            outcome.error(compose_form.error_text(exc))
        else:
            outcome.success(
                f"Test sent to your own chat, as {fmt.literal(samples[client_id])} would read it. "
                "It is not a delivery: no client got it, and it counts in no figures."
            )
    _recent(test_sends, account)


def _recent(test_sends: TestSendService, account: Account) -> None:
    """The latest tests, in the coach's zone."""
    for test in test_sends.recent(account, limit=3):
        whom = fmt.literal(test["client"] or "a removed client")
        state = "sent" if test["status"] == "sent" else f"{test['status']}: {fmt.literal(test['error'] or '')}"
        st.caption(f"Test · {fmt.local(test['created_at'], account.timezone)} · as {whom} · {state}")
