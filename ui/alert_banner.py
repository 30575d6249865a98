"""The banner support and admin see at the top of every page while an alert is open."""

from __future__ import annotations

import streamlit as st

from services.alert_conditions import TITLES
from services.bootstrap import Services
from services.domain import Account
from ui import fmt


def alert_banner(account: Account, services: Services) -> None:
    """One error box per open alert (coaches see none: alerts span every coach)."""
    actor = account.as_actor()
    if not actor.sees_all_coaches:
        return
    for alert in services.alerts.open_alerts(actor):
        title = TITLES.get(alert.condition, alert.condition)
        since = fmt.local(alert.opened_at, account.timezone)
        st.error(f"**Alert: {title}** (since {since}). {fmt.literal(alert.detail)}", icon=":material/warning:")
