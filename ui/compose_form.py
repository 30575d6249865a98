"""The compose form (widget keys `<prefix>_…`: `sched_` on the Message Scheduler, `list_edit_` when editing) and
its preview panel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from services import recurrence
from services.compose import FOLLOW_UP_HOURS, MAX_BODY, TEMPLATE_FIELDS, ScheduleRequest
from services.domain import Account, Actor
from services.errors import UserError
from services.schedules import ScheduleService
from services.send_rules import QUIET_ACTIONS
from ui import compose_presets, fmt, saved_texts

KINDS = {"once": "Once", "now": "Send now", "daily": "Daily", "weekly": "Weekly", "cron": "Custom (cron)"}
TARGETS = {"all": "All clients", "tag": "Clients with a tag", "clients": "Chosen clients"}
ZONE_MODES = {"coach": "At this time in one time zone", "client": "At this time in each client's own zone"}
WARN_FROM = 0.9  # the counter turns into a warning at this share of the limit
FIELD_LABELS = {
    "body": "Message",
    "title": "Title",
    "target": "Send to",
    "target_tag": "Tag",
    "client_ids": "Clients",
    "send_at": "Date and time",
    "send_time": "Time of day",
    "weekdays": "Weekdays",
    "cron": "Cron rule",
    "timezone": "Time zone",
    "zone_mode": "Delivery time",
    "end_date": "End date",
    "max_occurrences": "Max sends",
    "kind": "Repeat",
    "confirm_frequent": "Frequency",
    "follow_up_hours": "Follow up after",
    "follow_up_body": "Follow-up text",
    "quiet_action": "During a client's quiet hours",
}
DEFAULT_FOLLOW_UP_HOURS = 24


def _defaults(prefix: str, account: Account, now: datetime) -> None:
    """First-visit values: the coach's zone, today, ten minutes from now."""
    soon = (now + timedelta(minutes=10)).astimezone(recurrence.zone(account.timezone))
    st.session_state.setdefault(f"{prefix}_date", soon.date())
    st.session_state.setdefault(f"{prefix}_time", soon.time().replace(second=0, microsecond=0))
    st.session_state.setdefault(f"{prefix}_weekdays", [0])


def load(prefix: str, request: ScheduleRequest) -> None:
    """Put a request's values into the widgets' state (an edit form opening a stored message)."""
    values = {
        "title": request.title,
        "body": request.body,
        "target": request.target,
        "tag": request.target_tag,
        "clients": list(request.client_ids),
        "kind": request.kind,
        "cron": request.cron or "",
        "zone": request.timezone,
        "zone_mode": request.zone_mode,
        "end_date": request.end_date,
        "max_sends": request.max_occurrences,
        "weekdays": list(request.weekdays),
        "follow_up": request.follow_up_hours is not None,
        "follow_up_body": request.follow_up_body,
        "quiet_action": request.quiet_action,
    }
    if request.follow_up_hours is not None:
        values["follow_up_hours"] = int(request.follow_up_hours)
    if request.send_date is not None:
        values["date"] = request.send_date
    if request.send_time is not None:
        values["time"] = request.send_time
    for name, value in values.items():
        st.session_state[f"{prefix}_{name}"] = value


def zone_picker(
    label: str, key: str, default: str | None = None, help: str = "Type to search IANA zones, e.g. Europe/London."
) -> str:
    """A searchable IANA zone select that keeps a typed unknown name visible, so its error can be read and fixed.

    The default zone is the widget's own default (its `index`), not a value put into session state first: on a
    busy server the browser may report a widget before it received a session-state value, and it then reports
    its own default — which must be the person's zone, never the first zone of the list.
    """
    zones = recurrence.zone_names()
    typed = st.session_state.get(key)
    if typed and typed not in zones:
        zones = [typed, *zones]
    # The widget's own default is the zone already chosen, else the person's zone — never the list's first: a
    # browser that draws the picker afresh (or before it got the session-state value) sends this default back.
    chosen = typed if typed in zones else default
    index = zones.index(chosen) if chosen in zones else 0
    return st.selectbox(label, zones, index=index, key=key, accept_new_options=True, help=help)


def form(
    schedules: ScheduleService, account: Account, prefix: str = "sched", owner: Actor | None = None
) -> ScheduleRequest:
    """Render the compose widgets (keys `<prefix>_…`) and return what was filled in.

    `owner` is the coach whose tags and clients are offered (default: the account itself); an edit by support
    offers the message's coach's audience, never every coach's.
    """
    _defaults(prefix, account, schedules.clock())
    owner = owner or account.as_actor()
    title = st.text_input("Title (optional)", key=f"{prefix}_title", placeholder="e.g. Monday check-in")
    body = st.text_area(
        "Message", key=f"{prefix}_body", height=140, placeholder="Hi {first_name}, how did this week's training go?"
    )
    counter = st.empty()  # filled in once the audience is known: the count is after personalisation
    if prefix == "sched":  # saved texts are the coach's own: offered when composing, not when editing
        saved_texts.show(schedules, account, prefix)
    target = st.radio("Send to", list(TARGETS), format_func=TARGETS.get, key=f"{prefix}_target", horizontal=True)
    tag, client_ids = None, []
    if target == "tag":
        tags = schedules.tags(owner)
        chosen = st.session_state.get(f"{prefix}_tag")
        if chosen and chosen not in tags:  # a stored tag nobody has any more: shown, and refused on save
            tags = [chosen, *tags]
        tag = st.selectbox("Tag", tags, index=None, key=f"{prefix}_tag", placeholder="Choose a tag")
    elif target == "clients":
        clients = {c.id: c.name + ("" if c.active else " (inactive)") for c in schedules.clients(owner)}
        client_ids = st.multiselect(
            "Clients",
            list(clients),
            format_func=lambda c: clients.get(c, c),
            key=f"{prefix}_clients",
            placeholder="Choose clients by name",
        )
    request = ScheduleRequest(body=body, title=title, target=target, target_tag=tag, client_ids=list(client_ids))
    _counter(counter, schedules, owner, request)
    compose_presets.show(prefix)
    kind = st.radio("Repeat", list(KINDS), format_func=KINDS.get, key=f"{prefix}_kind", horizontal=True)
    request.kind, request.send_now = ("once", True) if kind == "now" else (kind, False)
    _timing(prefix, request)
    if not request.send_now:  # "now" is now everywhere: no delivery time to choose
        request.zone_mode = st.radio(
            "Delivery time", list(ZONE_MODES), format_func=ZONE_MODES.get, key=f"{prefix}_zone_mode", horizontal=True
        )
    if request.zone_mode == "coach":  # in each client's own zone there is no zone to pick
        request.timezone = zone_picker("Time zone", f"{prefix}_zone", account.timezone)
    _follow_up(prefix, request)
    request.quiet_action = st.radio(
        "During a client's quiet hours",
        list(QUIET_ACTIONS),
        format_func=QUIET_ACTIONS.get,
        key=f"{prefix}_quiet_action",
        horizontal=True,
        help="Quiet hours are set on your account and apply in each client's own time zone.",
    )
    if schedules.sends_too_often(account, request):
        minutes = int(schedules.min_interval.total_seconds() // 60)
        request.confirm_frequent = st.checkbox(
            f"Yes, send this often (more than once every {minutes} minutes)", key=f"{prefix}_confirm_frequent"
        )
    return request


def _follow_up(prefix: str, request: ScheduleRequest) -> None:
    """'If no reply within N hours, send: …': once per occurrence, to the clients who have not replied by then."""
    on = st.toggle(
        "Follow up with clients who do not reply",
        key=f"{prefix}_follow_up",
        help="Sent once per send, only to clients who have not replied by then; cancel it on the Schedules page.",
    )
    if not on:
        return
    low, high = FOLLOW_UP_HOURS
    hours_key = f"{prefix}_follow_up_hours"
    st.session_state.setdefault(hours_key, DEFAULT_FOLLOW_UP_HOURS)
    hours = st.number_input(  # its own default too, as the timing widgets' (Streamlit's would be the minimum)
        "If no reply within (hours)",
        value=st.session_state[hours_key],
        min_value=low,
        max_value=high,
        step=1,
        key=hours_key,
    )
    request.follow_up_hours = float(hours)
    request.follow_up_body = st.text_area(
        "Then send",
        key=f"{prefix}_follow_up_body",
        height=80,
        placeholder="Hi {first_name}, just checking in: how did it go?",
    )


def _counter(slot, schedules: ScheduleService, owner: Actor, request: ScheduleRequest) -> None:
    """Characters used, counted as the longest personalised text; a warning near the limit, an error over it."""
    fields = ", ".join(f"`{{{name}}}`" for name in TEMPLATE_FIELDS)
    length, who = schedules.longest_text(owner, request)
    whose = f" (personalised for {fmt.literal(who)}, the longest)" if who and length != len(request.body or "") else ""
    text = f"Up to {MAX_BODY:,} characters; {length:,} used{whose}."
    if length > MAX_BODY:  # a warning still: saving shows the one error, naming the field
        slot.warning(f"{text} That is {length - MAX_BODY:,} over the limit.", icon=":material/warning:")
    elif length >= WARN_FROM * MAX_BODY:
        slot.warning(f"{text} {MAX_BODY - length:,} left.", icon=":material/warning:")
    else:
        slot.caption(f"Personalise with {fields} (client's first name, full name, your name). {text}")


def _timing(prefix: str, request: ScheduleRequest) -> None:
    """The kind-specific timing widgets."""
    if request.send_now:
        return
    # Each widget's own default is the value already in session state (the coach-zone default, or the stored
    # message's): a browser that reports a widget before it got the session-state value sends the widget's own
    # default back, and Streamlit's ("now" and "today" on the server, in UTC) would move the send by the coach's
    # offset from UTC — a time already past, or hours away from the one on screen a moment before.
    date_key, time_key, weekdays_key = f"{prefix}_date", f"{prefix}_time", f"{prefix}_weekdays"
    if request.kind == "once":
        left, right = st.columns(2)
        request.send_date = left.date_input(
            "Date", value=st.session_state.get(date_key), key=date_key, format="YYYY-MM-DD"
        )
        request.send_time = right.time_input("Time", value=st.session_state.get(time_key), key=time_key, step=60)
        return
    if request.kind in ("daily", "weekly"):
        request.send_time = st.time_input("Time of day", value=st.session_state.get(time_key), key=time_key, step=60)
    if request.kind == "weekly":
        request.weekdays = st.multiselect(
            "Weekdays",
            list(range(7)),
            default=st.session_state.get(weekdays_key),
            format_func=lambda d: recurrence.WEEKDAYS[d],
            key=weekdays_key,
        )
    if request.kind == "cron":
        request.cron = st.text_input(
            "Cron rule",
            key=f"{prefix}_cron",
            placeholder="0 9 * * 1-5",
            help="Five fields: minute hour day-of-month month day-of-week.",
        )
    left, right = st.columns(2)
    request.end_date = left.date_input("End date (optional)", value=None, key=f"{prefix}_end_date", format="YYYY-MM-DD")
    sends = right.number_input("Max sends (optional)", value=None, min_value=1, step=1, key=f"{prefix}_max_sends")
    request.max_occurrences = int(sends) if sends is not None else None


def error_text(exc: UserError) -> str:
    """A validation message with the field it is about."""
    return fmt.error_text(exc, FIELD_LABELS)


def send_rows(shown) -> pd.DataFrame:
    """Every upcoming send in every zone involved, one row per zone, so no zone name or time is cut off."""
    zones = list(dict.fromkeys([shown.coach_zone, *shown.times[0].local]))
    rows = [
        {"Send": n, "Zone": zone + (" (yours)" if zone == shown.coach_zone else ""), "Local time": t.local[zone]}
        for n, t in enumerate(shown.times, start=1)
        for zone in zones
    ]
    return pd.DataFrame(rows, columns=["Send", "Zone", "Local time"])


def preview_panel(schedules: ScheduleService, account: Account, request: ScheduleRequest) -> None:
    """The rule in words, the next sends, DST notes, the audience and a personalised sample."""
    st.subheader("Preview")
    try:
        shown = schedules.preview(account, request)
    except UserError as exc:
        st.info(f"The preview appears once the timing is valid. {fmt.literal(exc.message)}")
        return
    st.markdown(f"**{fmt.literal(shown.sentence)}**")
    for note in shown.notes:
        st.caption(fmt.literal(note))
    st.metric("Recipients", shown.recipients, help="Active clients this reaches today.")
    if shown.times:
        st.caption(f"Next {len(shown.times)} send(s)")
        st.table(send_rows(shown), hide_index=True)
    for warning in shown.warnings:
        st.warning(fmt.literal(warning), icon=":material/schedule:")
    if shown.frequent:
        st.warning("This rule sends more often than the usual minimum; tick the confirmation to save it.")
    if shown.sample_text:
        st.caption(f"What {fmt.literal(shown.sample_name)} will read:")
        with st.container(border=True):
            st.text(shown.sample_text)
