"""The Message Scheduler's "Quiet hours and daily cap" box: the coach's rules for all of their schedules."""

from __future__ import annotations

from datetime import time

import streamlit as st

from services.domain import Account
from services.errors import UserError
from services.send_rule_settings import MAX_DAILY_CAP, SendRuleSettings
from ui import fmt


def show(settings: SendRuleSettings, account: Account) -> None:
    """Quiet hours (in each client's own zone) and the most scheduled messages a client gets a day."""
    rules = settings.get(account)
    with st.expander("Quiet hours and daily cap (all your schedules)"):
        on = st.toggle("Quiet hours", value=rules.quiet_start is not None, key="rules_quiet")
        left, right = st.columns(2)
        start = left.time_input("From", value=rules.quiet_start or time(21), key="rules_quiet_start", disabled=not on)
        end = right.time_input("Until", value=rules.quiet_end or time(8), key="rules_quiet_end", disabled=not on)
        st.caption("In each client's own time zone.")
        cap = st.number_input(
            "At most this many scheduled messages per client a day (0: no cap)",
            min_value=0,
            max_value=MAX_DAILY_CAP,
            value=rules.daily_cap or 0,
            key="rules_daily_cap",
        )
        if st.button("Save rules", key="rules_save"):
            try:
                settings.save(account, (start, end) if on else None, int(cap))
            except UserError as exc:
                st.error(fmt.literal(exc.message))
            else:
                st.success("Saved. They apply to every send from now on.")
