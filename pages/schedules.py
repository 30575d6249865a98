"""Schedules: filter, page and export the schedule list; open one to see details and act on it."""

import streamlit as st

from ui import drift_panel, fmt, runtime, schedule_detail, schedule_table, send_calendar

account = runtime.require_account()
schedules = runtime.services().schedules
actor = account.as_actor()
st.title("Schedules")
fmt.show_flash("list_flash")

coach_names = schedules.coach_names(actor)
status_col, kind_col, search_col, coach_col = st.columns([1, 1, 2, 2])
status = status_col.selectbox("Status", schedule_table.STATUSES, index=None, key="list_status", placeholder="All")
kind = kind_col.selectbox("Kind", schedule_table.KINDS, index=None, key="list_kind", placeholder="All")
search = search_col.text_input("Search title or text", key="list_search")
coach_id = fmt.coach_filter(coach_col, coach_names, "list_coach")


def fetch(limit: int, offset: int):
    """One page of messages under the filters."""
    return schedules.list(
        actor, status=status, kind=kind, search=search or None, coach_id=coach_id, limit=limit, offset=offset
    )


now = schedules.clock()
total = fetch(1, 0)[1]
limit, offset = fmt.pager("list", total)
rows, total = fetch(limit, offset)
st.caption("Select a row to see its details and act on it.")
selected = schedule_table.selectable(schedule_table.frame(rows, account.timezone, now, coach_names), rows)
st.download_button(  # built only when clicked (Streamlit calls it then), not on every render
    "Download CSV",
    lambda: fmt.csv_bytes(schedule_table.frame(fmt.all_pages(fetch), account.timezone, now, coach_names)),
    file_name="schedules.csv",
    mime="text/csv",
    key="list_csv",
    icon=":material/download:",
)
fmt.zone_note(account.timezone)

if selected:
    schedule_detail.show(schedules, account, selected)

st.divider()
send_calendar.show(runtime.services().calendar, account, coach_id)

st.divider()
drift_panel.show(schedules, account)
