"""Reports (support, admin): the weekly review of failed deliveries and the monthly audit of schedules."""

from datetime import date, timedelta
from functools import partial

import streamlit as st

from services import recurrence
from services import reports as windows
from ui import fmt, log_export, report_views, runtime

account = runtime.require_account()
actor = account.as_actor()
if not actor.sees_all_coaches:  # the menu does not offer it to coaches; a direct link stops here
    st.error("Reports are for support and admin.")
    st.stop()
reports = runtime.services().reports
zone = account.timezone
today = runtime.services().clock().astimezone(recurrence.zone(zone)).date()
st.title("Reports")
fmt.show_flash("reports_flash")
weekly, monthly = st.tabs(["Weekly: failed deliveries", "Monthly: schedule audit"])

with weekly:
    start = st.date_input(
        "Week starting", value=today - timedelta(days=6), key="reports_week_start", format="YYYY-MM-DD"
    ) or today - timedelta(days=6)
    since, until = windows.week(start, zone)
    st.caption(f"Failures from {fmt.local(since, zone)} to {fmt.local(until, zone)}, by their last attempt.")
    review = reports.failure_review(actor, since, until)
    total = sum(row["failures"] for row in review["reason"])
    st.metric("Failed deliveries", total)

    def ask(by: str, key: str) -> None:
        """Freeze the group's deliveries now: the confirmation counts them and Yes retries exactly them."""
        label = next(row["label"] for row in review[by] if row["key"] == key) or "(no error recorded)"
        ids = reports.group_ids(actor, since, until, by, key)
        st.session_state[report_views.CONFIRM_KEY] = {"by": by, "key": key, "label": label, "ids": ids}
        st.rerun()

    report_views.confirm_retry(lambda ids: reports.retry_group(actor, ids))
    for by, rows in review.items():
        st.subheader(f"By {report_views.GROUP_TITLES[by].lower()}")
        st.dataframe(report_views.groups(rows, by, zone), hide_index=True, key=f"reports_by_{by}")
        if rows:
            report_views.group_picker(rows, by, ask)
    log_export.controls(
        "reports_week_csv",
        (since, until),
        total,
        lambda: reports.failed_deliveries(actor, since, until),
        zone,
        file_name=f"failed-deliveries-{start:%Y-%m-%d}.csv",
    )

with monthly:
    choices = report_views.months_back(today)
    year, number = st.selectbox(
        "Month", choices, format_func=lambda ym: date(ym[0], ym[1], 1).strftime("%B %Y"), key="reports_month"
    )
    since, until = windows.month(year, number, zone)
    st.caption(
        "Schedules active now (scheduled, paused or in error), and any other that sent or changed in the month; "
        f"times in {zone}."
    )
    _, total = reports.schedule_audit(actor, since, until, zone, limit=0)
    size, offset = fmt.pager("reports_audit", total)
    rows, _ = reports.schedule_audit(actor, since, until, zone, limit=size, offset=offset)
    st.dataframe(report_views.audit(rows, zone), hide_index=True, key="reports_audit_table")
    log_export.prepared_download(
        "reports_audit_csv",
        (since, until),
        partial(report_views.audit_csv, lambda: reports.schedule_audit(actor, since, until, zone)[0], zone),
        f"schedule-audit-{year}-{number:02d}.csv",
    )
