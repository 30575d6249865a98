"""The Schedules page's calendar: 14 day buttons with their send counts; the chosen day's sends as a table."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from services.domain import Account
from services.send_calendar import Calendar, CalendarService, Day
from ui import fmt

KEY = "list_cal_day"  # the chosen day (ISO date) in session state
PER_ROW = 7
MAX_LISTED = 1000  # rows in a day's table: a browser table of tens of thousands helps nobody


@st.fragment
def show(calendar: CalendarService, account: Account, coach_id: str | None) -> None:
    """The next 14 days of sends (one coach's, or every coach's for support); a click on a day lists its sends.

    A fragment: clicking a day reruns the calendar alone, not the schedule list and its QStash checks above.
    """
    actor = account.as_actor()
    st.subheader("Next 14 days")
    shown = calendar.next_days(actor, account.timezone, coach_id)
    whose = "every coach's" if actor.sees_all_coaches and not coach_id else "the"
    st.caption(
        f"Sends of {whose} scheduled messages, by day in your zone ({account.timezone}); a message in each client's "
        "own zone is one send per client zone. Click a day to see its sends."
    )
    chosen = _chosen_day(shown)
    for start in range(0, len(shown.days), PER_ROW):
        for column, day in zip(st.columns(PER_ROW), shown.days[start : start + PER_ROW], strict=False):
            _day_button(column, day, day.day.isoformat() == chosen)
    if shown.cut_short:
        names = ", ".join(f"“{fmt.literal(t)}”" for t in shown.cut_short)
        st.caption(f"Fires too often to list every send; shown up to its first 2,000: {names}.")
    day = next(d for d in shown.days if d.day.isoformat() == chosen)
    st.markdown(f"**{day.day:%A %d %B %Y}** · {_summary(day)}")
    if day.send_count:
        listed = sends_table(day, account.timezone, calendar.coach_names(actor))
        st.dataframe(listed, hide_index=True, key="list_cal")
        if day.send_count > len(listed):
            st.caption(f"The first {len(listed):,} of {day.send_count:,} sends; choose one coach to see fewer.")


def _chosen_day(shown: Calendar) -> str:
    """The day clicked before (while it is still in the window), else the first day with sends, else today."""
    days = [d.day.isoformat() for d in shown.days]
    chosen = st.session_state.get(KEY)
    if chosen not in days:
        chosen = next((d.day.isoformat() for d in shown.days if d.send_count), days[0])
    return chosen


def _day_button(column, day: Day, selected: bool) -> None:
    """One day: its date on a button (highlighted when chosen), and its counts under it."""
    # A callback: it runs before the calendar is drawn again, so the click shows at once without st.rerun().
    column.button(
        f"{day.day:%a %d %b}", key=f"list_cal_{day.day.isoformat()}", type="primary" if selected else "secondary",
        width="stretch", on_click=st.session_state.__setitem__, args=(KEY, day.day.isoformat()),
    )  # fmt: skip
    counts = f"{_count(day.send_count, 'send')}  \n{_count(day.recipients, 'recipient')}"
    column.caption(counts if day.send_count else "no sends")


def _summary(day: Day) -> str:
    """'3 sends · 2 messages · 25 recipients'."""
    if not day.send_count:
        return "no sends"
    return " · ".join(
        (_count(day.send_count, "send"), _count(day.messages, "message"), _count(day.recipients, "recipient"))
    )


def _count(n: int, word: str) -> str:
    """'1 send', '3 sends'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def sends_table(day: Day, zone: str, coach_names: dict[str, str] | None) -> pd.DataFrame:
    """One row per send of the day: time in the viewer's zone, message, which zone group, recipients."""
    local = functools.cache(fmt.local)  # a busy day's 1,000 sends share a few dozen instants
    rows = [
        {
            **({"Coach": coach_names.get(s.coach_id, "")} if coach_names is not None else {}),
            "Time": local(s.at, zone),
            "Message": s.title,
            "Fires at": f"{local(s.at, s.zone)} in {s.zone}" + (" (each client's zone)" if s.each_client else ""),
            "Recipients": s.recipients,
        }
        for s in day.first(MAX_LISTED)
    ]
    columns = (["Coach"] if coach_names is not None else []) + ["Time", "Message", "Fires at", "Recipients"]
    return pd.DataFrame(rows, columns=columns)
