"""QStash health (support/admin): schedules, recent events, flow control with pause/resume, and the dead-letter
queue with retry/delete."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from services.errors import UserError
from ui import fmt, runtime

account = runtime.require_support()
support = runtime.services().support
actor = account.as_actor()
st.title("QStash health")
zone = account.timezone
fmt.zone_note(zone)
fmt.show_flash("qs_flash")


def stamp(millis: int | None) -> str:
    """QStash's unix milliseconds in the viewer's zone."""
    return fmt.local(datetime.fromtimestamp(millis / 1000, UTC), zone) if millis else ""


def act(done: str, call) -> None:
    """Run a support action; flash what happened or why it did not, then rerun."""
    try:
        call()
    except UserError as exc:
        st.session_state["qs_flash"] = ("warning", fmt.literal(exc.message))
    else:
        st.session_state["qs_flash"] = ("success", done)
    st.rerun()


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

st.subheader("Flow control")
st.caption(
    "Chunk deliveries wait in their key's waitlist until the chat provider's rate allows them. "
    "Pause holds them all (e.g. while the provider is down); Resume lets them go on."
)
try:
    flows = support.flow_keys(actor)
except UserError as exc:
    st.warning(fmt.literal(exc.message))
    flows = []
if flows:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Key": f.key,
                    "Waiting": f.waiting,
                    "Rate": f"{f.rate} per {f.period} s" if f.rate else "no limit",
                    "Parallelism": f"{f.running} of {f.parallelism}" if f.parallelism else f"{f.running} (no limit)",
                    "Paused": f.paused,
                }
                for f in flows
            ],
            columns=["Key", "Waiting", "Rate", "Parallelism", "Paused"],
        ),
        hide_index=True,
        key="qs_flows",
    )
else:
    st.caption("No flow-control keys yet: the first chunked fan-out to a rate-limited chat provider makes one.")
for n, flow in enumerate(flows):
    shown = fmt.literal(flow.key)  # a key is QStash's data: shown as text, never as markdown
    if flow.paused and st.button(f"Resume {shown}", key=f"qs_flow_resume_{n}"):
        act(f"Resumed flow control key {shown}.", lambda k=flow.key: support.resume_flow(actor, k))
    if not flow.paused and st.button(f"Pause {shown}", key=f"qs_flow_pause_{n}"):
        act(f"Paused flow control key {shown}.", lambda k=flow.key: support.pause_flow(actor, k))

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
    if retry.button("Retry", key=f"qs_retry_{n}"):
        act(
            f"Sent again: dead letter {letter.message_id}.", lambda d=letter.dlq_id: support.retry_dead_letter(actor, d)
        )
    if delete.button("Delete", key=f"qs_delete_{n}"):
        act(f"Deleted: dead letter {letter.message_id}.", lambda d=letter.dlq_id: support.delete_dead_letter(actor, d))
