"""The compact edit form on the Schedules page (keys start with `list_edit_`), with a version check."""
from __future__ import annotations

from datetime import time

import streamlit as st

from services import recurrence
from services.bootstrap import Services
from services.compose import ScheduleRequest
from services.domain import Account, Message
from services.errors import Conflict, UserError
from ui.compose_form import error_text


def _cron_time(cron: str | None) -> tuple[time, list[int]]:
    """The time of day and weekdays (0 = Monday) of a daily or weekly rule."""
    minute, hour, _, _, days = (cron or "0 9 * * *").split()
    weekdays = [] if days == "*" else sorted((int(d) - 1) % 7 for d in days.split(","))
    return time(int(hour), int(minute)), weekdays


def _prefill(message: Message) -> None:
    """Load the message into the form once per opened message, remembering the version it had."""
    if st.session_state.get("list_edit_loaded") == message.id:
        return
    st.session_state["list_edit_loaded"] = message.id
    st.session_state["list_edit_version"] = message.version
    st.session_state["list_edit_title"] = message.title
    st.session_state["list_edit_body"] = message.body
    st.session_state["list_edit_cron"] = message.cron or ""
    if message.kind == "once":
        at = message.send_at.astimezone(recurrence.zone(message.timezone))
        st.session_state["list_edit_date"] = at.date()
        st.session_state["list_edit_time"] = at.time().replace(second=0, microsecond=0)
    elif message.kind in ("daily", "weekly"):
        st.session_state["list_edit_time"], st.session_state["list_edit_weekdays"] = _cron_time(message.cron)


def request_for(message: Message, values: dict) -> ScheduleRequest:
    """The message as a form request, with the edited fields replaced."""
    end_date = message.end_at.astimezone(recurrence.zone(message.timezone)).date() if message.end_at else None
    request = ScheduleRequest(body=message.body, kind=message.kind, title=message.title, target=message.target,
                              target_tag=message.target_tag, client_ids=list(message.client_ids),
                              cron=message.cron, timezone=message.timezone, zone_mode=message.zone_mode,
                              end_date=end_date, max_occurrences=message.max_occurrences)
    for name, value in values.items():
        setattr(request, name, value)
    return request


def show(services: Services, account: Account, message: Message) -> None:
    """Edit text and timing; another user's change in between gives a Conflict message."""
    _prefill(message)
    with st.form("list_edit_form"):
        values = {"title": st.text_input("Title", key="list_edit_title"),
                  "body": st.text_area("Message", key="list_edit_body")}
        if message.kind == "once":
            left, right = st.columns(2)
            values["send_date"] = left.date_input("Date", key="list_edit_date", format="YYYY-MM-DD")
            values["send_time"] = right.time_input("Time", key="list_edit_time", step=60)
        elif message.kind in ("daily", "weekly"):
            values["send_time"] = st.time_input("Time of day", key="list_edit_time", step=60)
            if message.kind == "weekly":
                values["weekdays"] = st.multiselect("Weekdays", list(range(7)), key="list_edit_weekdays",
                                                    format_func=lambda d: recurrence.WEEKDAYS[d])
        else:
            values["cron"] = st.text_input("Cron rule", key="list_edit_cron")
        st.caption(f"Times are in {message.timezone}.")
        submitted = st.form_submit_button("Save changes", type="primary")
    if not submitted:
        return
    try:
        with st.spinner("Saving and updating QStash…"):
            services.schedules.edit(account, message.id, request_for(message, values),
                                    st.session_state["list_edit_version"])
    except Conflict as exc:
        st.error(f"{exc.message} (Someone changed this message after you opened it.)")
        if st.button("Reload the message", key="list_edit_reload"):
            st.session_state.pop("list_edit_loaded", None)
            st.rerun()
        return
    except UserError as exc:
        st.error(error_text(exc))
        return
    st.session_state["list_flash"] = ("success", f"Saved: “{values['title'] or message.title}”.")
    st.session_state.pop("list_edit_loaded", None)
    st.rerun()
