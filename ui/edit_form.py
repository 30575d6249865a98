"""The edit form on the Schedules page: the compose form (keys start with `list_edit_`) prefilled from the message,
saved with a version check."""

from __future__ import annotations

from datetime import time

import streamlit as st

from services import recurrence
from services.bootstrap import Services
from services.compose import ScheduleRequest
from services.domain import Account, Actor, Message
from services.errors import Conflict, SchedulerUnavailable, UserError
from ui import compose_form

PREFIX = "list_edit"


def _cron_time(cron: str | None) -> tuple[time, list[int]]:
    """The time of day and weekdays (0 = Monday) of a daily or weekly rule."""
    minute, hour, _, _, days = (cron or "0 9 * * *").split()
    weekdays = [] if days == "*" else sorted((int(d) - 1) % 7 for d in days.split(","))
    return time(int(hour), int(minute)), weekdays


def request_for(message: Message) -> ScheduleRequest:
    """The stored message as the compose form's request, in the message's own zone."""
    zone = recurrence.zone(message.timezone)
    request = ScheduleRequest(
        body=message.body,
        kind=message.kind,
        title=message.title,
        target=message.target,
        target_tag=message.target_tag,
        client_ids=list(message.client_ids),
        cron=message.cron,
        timezone=message.timezone,
        zone_mode=message.zone_mode,
        end_date=message.end_at.astimezone(zone).date() if message.end_at else None,
        max_occurrences=message.max_occurrences,
        weekdays=[0],
    )
    if message.kind == "once":
        at = message.send_at.astimezone(zone)
        request.send_date, request.send_time = at.date(), at.time().replace(second=0, microsecond=0)
    elif message.kind in ("daily", "weekly"):
        request.send_time, weekdays = _cron_time(message.cron)
        request.weekdays = weekdays or [0]
    return request


def _prefill(message: Message) -> None:
    """Load the message into the form once per opened message, remembering the version it had."""
    if st.session_state.get(f"{PREFIX}_loaded") == message.id:
        return
    st.session_state[f"{PREFIX}_loaded"] = message.id
    st.session_state[f"{PREFIX}_version"] = message.version
    st.session_state.pop(f"{PREFIX}_conflict", None)
    compose_form.load(PREFIX, request_for(message))


def show(services: Services, account: Account, message: Message) -> None:
    """Edit everything the compose form covers; another user's change in between gives a Conflict message."""
    _prefill(message)
    conflict = st.session_state.get(f"{PREFIX}_conflict")
    if conflict:  # kept across reruns so the Reload button can be clicked; the typed edits stay until then
        st.error(f"{conflict} (Someone changed this message after you opened it.)")
        if st.button("Reload the message", key=f"{PREFIX}_reload", icon=":material/refresh:"):
            st.session_state.pop(f"{PREFIX}_loaded", None)
            st.session_state.pop(f"{PREFIX}_conflict", None)
            st.rerun()
    # Not an st.form: choosing "Clients with a tag" must show the tag picker straight away, as on compose.
    request = compose_form.form(services, account, PREFIX, owner=Actor(message.coach_id, "coach"))
    if not st.button("Save changes", key=f"{PREFIX}_save", type="primary", icon=":material/save:"):
        return
    try:
        with st.spinner("Saving and updating QStash…"):
            services.schedules.edit(account, message.id, request, st.session_state[f"{PREFIX}_version"])
    except Conflict as exc:
        st.session_state[f"{PREFIX}_conflict"] = exc.message
        st.rerun()
    except SchedulerUnavailable as exc:  # saved, but the row is in 'error' with this reason
        st.session_state["list_flash"] = ("error", f"Saved but not scheduled: {exc.message} Press Repair to retry.")
    except UserError as exc:
        st.error(compose_form.error_text(exc))
        return
    else:
        st.session_state["list_flash"] = ("success", f"Saved: “{request.title or message.title}”.")
    st.session_state.pop(f"{PREFIX}_loaded", None)
    st.rerun()
