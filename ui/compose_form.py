"""The Message Scheduler form (widget keys start with `sched_`) and its preview panel."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from services import preview, recurrence
from services.bootstrap import Services
from services.compose import MAX_BODY, TEMPLATE_FIELDS, ScheduleRequest
from services.domain import Account
from services.errors import UserError

KINDS = {"once": "Once", "daily": "Daily", "weekly": "Weekly", "cron": "Custom (cron)"}
TARGETS = {"all": "All clients", "tag": "Clients with a tag", "clients": "Chosen clients"}
ZONE_MODES = {"coach": "At this time in the zone above", "client": "At this time in each client's own zone"}
FIELD_LABELS = {"body": "Message", "title": "Title", "target": "Send to", "target_tag": "Tag",
                "client_ids": "Clients", "send_at": "Date and time", "send_time": "Time of day",
                "weekdays": "Weekdays", "cron": "Cron rule", "timezone": "Time zone", "zone_mode": "Delivery time",
                "end_date": "End date", "max_occurrences": "Max sends", "kind": "Repeat"}


def _defaults(account: Account, now: datetime) -> None:
    """First-visit values: the coach's zone, today, ten minutes from now."""
    soon = (now + timedelta(minutes=10)).astimezone(recurrence.zone(account.timezone))
    st.session_state.setdefault("sched_zone", account.timezone)
    st.session_state.setdefault("sched_date", soon.date())
    st.session_state.setdefault("sched_time", soon.time().replace(second=0, microsecond=0))
    st.session_state.setdefault("sched_weekdays", [0])


def form(services: Services, account: Account) -> ScheduleRequest:
    """Render the compose widgets and return what the coach filled in."""
    _defaults(account, services.clock())
    actor = account.as_actor()
    title = st.text_input("Title (optional)", key="sched_title", placeholder="e.g. Monday check-in")
    body = st.text_area("Message", key="sched_body", height=140,
                        placeholder="Hi {first_name}, how did this week's training go?")
    fields = ", ".join(f"`{{{name}}}`" for name in TEMPLATE_FIELDS)
    st.caption(f"Personalise with {fields} (client's first name, full name, your name). "
               f"Up to {MAX_BODY:,} characters; {len(body or ''):,} used.")
    target = st.radio("Send to", list(TARGETS), format_func=TARGETS.get, key="sched_target", horizontal=True)
    tag, client_ids = None, []
    if target == "tag":
        tag = st.selectbox("Tag", services.store.clients.tags(actor), index=None, key="sched_tag",
                           placeholder="Choose a tag")
    elif target == "clients":
        clients = {c.id: c.name + ("" if c.active else " (inactive)")
                   for c in services.store.clients.list(actor, limit=500)}
        client_ids = st.multiselect("Clients", list(clients), format_func=clients.get, key="sched_clients",
                                    placeholder="Choose clients by name")
    kind = st.radio("Repeat", list(KINDS), format_func=KINDS.get, key="sched_kind", horizontal=True)
    request = ScheduleRequest(body=body, kind=kind, title=title, target=target, target_tag=tag,
                              client_ids=list(client_ids))
    _timing(request)
    zones = recurrence.zone_names()
    typed = st.session_state.get("sched_zone")
    if typed and typed not in zones:  # keep a typed name visible so its error can be read and fixed
        zones = [typed, *zones]
    request.timezone = st.selectbox("Time zone", zones, key="sched_zone", accept_new_options=True,
                                    help="Type to search IANA zones, e.g. Europe/London.")
    request.zone_mode = st.radio("Delivery time", list(ZONE_MODES), format_func=ZONE_MODES.get,
                                 key="sched_zone_mode", horizontal=True)
    return request


def _timing(request: ScheduleRequest) -> None:
    """The kind-specific timing widgets."""
    if request.kind == "once":
        left, right = st.columns(2)
        request.send_date = left.date_input("Date", key="sched_date", format="YYYY-MM-DD")
        request.send_time = right.time_input("Time", key="sched_time", step=60)
        return
    if request.kind in ("daily", "weekly"):
        request.send_time = st.time_input("Time of day", key="sched_time", step=60)
    if request.kind == "weekly":
        request.weekdays = st.multiselect("Weekdays", list(range(7)), format_func=lambda d: recurrence.WEEKDAYS[d],
                                          key="sched_weekdays")
    if request.kind == "cron":
        request.cron = st.text_input("Cron rule", key="sched_cron", placeholder="0 9 * * 1-5",
                                     help="Five fields: minute hour day-of-month month day-of-week.")
    left, right = st.columns(2)
    request.end_date = left.date_input("End date (optional)", value=None, key="sched_end_date", format="YYYY-MM-DD")
    sends = right.number_input("Max sends (optional)", value=None, min_value=1, step=1, key="sched_max_sends")
    request.max_occurrences = int(sends) if sends is not None else None


def error_text(exc: UserError) -> str:
    """A validation message with the field it is about."""
    label = FIELD_LABELS.get(exc.field or "")
    return f"**{label}:** {exc.message}" if label else exc.message


def preview_panel(services: Services, account: Account, request: ScheduleRequest) -> None:
    """The rule in words, the next sends, DST notes, the audience and a personalised sample."""
    st.subheader("Preview")
    try:
        shown = preview.build(services.store, account, request, services.clock())
    except UserError as exc:
        st.info(f"The preview appears once the timing is valid. {exc.message}")
        return
    st.markdown(f"**{shown.sentence}**")
    for note in shown.notes:
        st.caption(note)
    st.metric("Recipients", shown.recipients, help="Active clients this reaches today.")
    if shown.times:
        columns = list(dict.fromkeys([shown.coach_zone, *shown.times[0].local]))
        rows = [{("Your zone: " + z if z == shown.coach_zone else z): t.local[z] for z in columns} for t in shown.times]
        st.caption(f"Next {len(rows)} send(s)")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="sched_preview_table")
    for warning in shown.warnings:
        st.warning(warning, icon=":material/schedule:")
    if shown.sample_text:
        st.caption(f"What {shown.sample_name} will read:")
        with st.container(border=True):
            st.text(shown.sample_text)
