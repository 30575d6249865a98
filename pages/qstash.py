"""QStash health (support/admin): schedules, recent events, and the dead-letter queue with retry/delete."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from services.errors import UserError
from ui import fmt, runtime

account = runtime.require_account()
support = runtime.services().support
actor = account.as_actor()
if not actor.sees_all_coaches:
    st.info("This page is for support staff.")
    st.stop()
st.title("QStash health")
zone = account.timezone
fmt.zone_note(zone)
fmt.show_flash("qs_flash")


def stamp(millis: int | None) -> str:
    """QStash's unix milliseconds in the viewer's zone."""
    return fmt.local(datetime.fromtimestamp(millis / 1000, UTC), zone) if millis else ""


database, last = st.columns(2)
database.metric("Database", "reachable" if support.database_ok(actor) else "unreachable")
last.metric("Last delivery activity", fmt.local(support.last_activity(actor), zone) or "none yet")
st.button("Refresh", key="qs_refresh", icon=":material/refresh:")

st.subheader("Schedules")
try:
    with st.spinner("Reading QStash…"):
        schedules = support.schedules(actor)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Schedule id": s.schedule_id,
                    "Cron": s.cron,
                    "Paused": s.paused,
                    "Created": stamp(s.created_at),
                    "Message id": s.message_id or "",
                    "Destination": s.destination,
                }
                for s in schedules
            ],
            columns=["Schedule id", "Cron", "Paused", "Created", "Message id", "Destination"],
        ),
        hide_index=True,
        key="qs_schedules",
    )
except UserError as exc:
    st.warning(fmt.literal(exc.message))

st.subheader("Recent events")
try:
    events = support.events(actor)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Time": stamp(e.time),
                    "State": str(getattr(e.state, "value", e.state)),
                    "QStash message": e.message_id,
                    "Schedule": e.schedule_id or "",
                    "Error": e.error or "",
                }
                for e in events
            ],
            columns=["Time", "State", "QStash message", "Schedule", "Error"],
        ),
        hide_index=True,
        key="qs_events",
    )
except UserError as exc:
    st.warning(fmt.literal(exc.message))

st.subheader("Dead letters")
try:
    letters = support.dead_letters(actor)
except UserError as exc:
    st.warning(fmt.literal(exc.message))
    letters = []
if not letters:
    st.caption("The dead-letter queue is empty.")
for n, letter in enumerate(letters):
    text, retry, delete = st.columns([5, 1, 1])
    text.markdown(
        f"`{letter.message_id}` → HTTP {letter.response_status} · {stamp(getattr(letter, 'created_at', None))}"
        f"  \n{fmt.literal((letter.response_body or '')[:200])}"
    )
    action = None
    if retry.button("Retry", key=f"qs_retry_{n}"):
        action = ("Sent again", lambda d=letter.dlq_id: support.retry_dead_letter(actor, d))
    if delete.button("Delete", key=f"qs_delete_{n}"):
        action = ("Deleted", lambda d=letter.dlq_id: support.delete_dead_letter(actor, d))
    if action:
        try:
            action[1]()
        except UserError as exc:
            st.session_state["qs_flash"] = ("warning", fmt.literal(exc.message))
        else:
            st.session_state["qs_flash"] = ("success", f"{action[0]}: dead letter {letter.message_id}.")
        st.rerun()
