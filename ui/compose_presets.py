"""One-click rules for the compose form: every weekday at 09:00, every Monday at 09:00, the first of the month."""

from __future__ import annotations

from datetime import time

import streamlit as st

PRESETS = {
    "weekdays": ("Weekdays at 09:00", {"kind": "weekly", "weekdays": [0, 1, 2, 3, 4], "time": time(9)}),
    "monday": ("Mondays at 09:00", {"kind": "weekly", "weekdays": [0], "time": time(9)}),
    "monthly": ("1st of the month, 09:00", {"kind": "cron", "cron": "0 9 1 * *"}),
}


def _apply(prefix: str, name: str) -> None:
    """Fill the repeat widgets (a callback: it runs before they are drawn, so they show the new values)."""
    for field, value in PRESETS[name][1].items():
        st.session_state[f"{prefix}_{field}"] = value


def show(prefix: str) -> None:
    """A row of preset buttons; each fills in Repeat, the weekdays and the time (all still editable)."""
    st.caption("Common rules")
    for column, (name, (label, _)) in zip(st.columns(len(PRESETS)), PRESETS.items(), strict=True):
        column.button(label, key=f"{prefix}_preset_{name}", on_click=_apply, args=(prefix, name))
