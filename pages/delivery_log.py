"""Delivery Log: who got which message when, what failed and why, and retrying the failures."""

from datetime import datetime, time, timedelta

import streamlit as st

from services import recurrence
from services.errors import UserError
from ui import fmt, log_export, log_views, reply_panel, runtime, seek_pager

account = runtime.require_account()
log = runtime.services().delivery_log
actor = account.as_actor()
st.title("Delivery Log")
fmt.zone_note(account.timezone)
fmt.show_flash("log_flash")

filters = {}
top = st.columns(4 if actor.sees_all_coaches else 3)
if actor.sees_all_coaches:
    filters["coach_id"] = fmt.coach_filter(top[-1], log.coach_names(actor), "log_coach")
filters["status"] = top[0].selectbox("Status", log_views.STATUSES, index=None, key="log_status", placeholder="All")
messages = log.message_titles(actor, coach_id=filters.get("coach_id"))
filters["message_id"] = top[1].selectbox(
    "Message", list(messages), format_func=messages.get, index=None, key="log_message", placeholder="All messages"
)
filters["search"] = top[2].text_input("Search client, message or error", key="log_search") or None
since_col, until_col, _ = st.columns([1, 1, 2])
zone = recurrence.zone(account.timezone)
since = since_col.date_input("From", value=None, key="log_since", format="YYYY-MM-DD")
until = until_col.date_input("To", value=None, key="log_until", format="YYYY-MM-DD")
filters["since"] = datetime.combine(since, time(0), zone) if since else None
filters["until"] = datetime.combine(until, time(0), zone) + timedelta(days=1) if until else None

counts = log.status_counts(actor, **filters)  # from the summary the fan-out keeps, not a scan of deliveries
total = sum(counts.values())
for column, status in zip(st.columns(5), ("total", *log_views.STATUSES), strict=False):
    column.metric(status.capitalize(), total if status == "total" else counts.get(status, 0))
points = log.per_day(actor, account.timezone, **filters)
if points:
    st.altair_chart(log_views.per_day_chart(points, account.timezone), key="log_chart")

signature = tuple(sorted((k, str(v)) for k, v in filters.items()))
size, after, number = seek_pager.position("log", signature)
rows = log.seek(actor, limit=size, after=after, **filters)
st.dataframe(log_views.deliveries(rows, account.timezone, actor.sees_all_coaches), hide_index=True, key="log_table")
seek_pager.controls("log", rows, size, number, total, lambda row: (row["updated_at"], row["id"]))

# The export is built only when asked for, streamed from one cursor, then offered for download.
log_export.controls("log_csv", signature, total, lambda: log.stream(actor, **filters), account.timezone)

if filters["message_id"]:  # replies are per message: shown once one is chosen
    reply_panel.show(runtime.services().reply_stats, actor, filters["message_id"], "log_replies", account.timezone)

st.subheader("Retry failed recipients")
failed = {
    r["id"]: f"{r['client']} · {r['message']} · {fmt.slot(r['slot'], fmt.slot_zone(r), account.timezone)}"
    for r in rows
    if r["status"] == "failed"
}
if not failed:
    st.caption("No failed deliveries on this page.")
else:
    chosen = st.multiselect(
        "Failed deliveries to retry",
        list(failed),
        format_func=failed.get,
        key="log_retry_ids",
        placeholder="Choose failed rows from this page",
    )
    if st.button("Retry failed", key="log_retry", type="primary", disabled=not chosen, icon=":material/replay:"):
        try:
            with st.spinner("Reopening and asking QStash to fire again…"):
                reopened = log.retry_failed(actor, chosen)
        except UserError as exc:
            st.session_state["log_flash"] = ("error", fmt.literal(exc.message))
        else:
            st.session_state["log_flash"] = (
                "success",
                f"Retrying {reopened} failed deliver{'y' if reopened == 1 else 'ies'}: "
                "they are pending again and QStash will fire the occurrence shortly.",
            )
        st.session_state.pop("log_retry_ids", None)
        st.rerun()

st.subheader("Webhook runs")
st.dataframe(
    log_views.runs(log.runs(actor, filters["message_id"], limit=50), account.timezone), hide_index=True, key="log_runs"
)
