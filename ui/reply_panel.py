"""Replies to one message, per occurrence: rate, median time to reply, who has not replied, and the trend."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from services.domain import Actor
from services.reply_stats import ReplyStatsService
from ui import fmt

COLUMNS = ["Occurrence", "Sent", "Replied", "Reply rate", "Median time to reply"]


def duration(seconds: float | None) -> str:
    """'45 s', '12 min', '3 h 05 min', '' for none."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def occurrence(slot: str, message, zone: str) -> str:
    """An occurrence as the viewer reads it: in their zone, or (each client's own zone) the clients' wall clock."""
    if message.zone_mode == "client" and slot != "once":
        return f"{slot.replace('T', ' ')} in each client's zone"
    return fmt.slot(slot, message.timezone, zone)


def table(rows: list[dict], message, zone: str) -> pd.DataFrame:
    """One row per occurrence, newest first."""
    return pd.DataFrame(
        [
            {
                "Occurrence": occurrence(r["slot"], message, zone),
                "Sent": r["sent"],
                "Replied": r["replied"],
                "Reply rate": f"{r['rate']:.0%}",
                "Median time to reply": duration(r["median_seconds"]),
            }
            for r in rows
        ],
        columns=COLUMNS,
    )


def trend_chart(rows: list[dict], message, zone: str) -> alt.Chart:
    """Reply rate per occurrence, oldest to newest."""
    data = pd.DataFrame(
        [
            {
                "occurrence": occurrence(r["slot"], message, zone),
                "rate": r["rate"],
                "replied": r["replied"],
                "sent": r["sent"],
            }
            for r in rows
        ]
    )
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("occurrence:O", title="Occurrence", sort="ascending"),
            y=alt.Y("rate:Q", title="Reply rate", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["occurrence:O", alt.Tooltip("rate:Q", format=".0%"), "replied:Q", "sent:Q"],
        )
        .properties(height=200)
    )


def show(stats: ReplyStatsService, actor: Actor, message_id: str, prefix: str, zone: str) -> None:
    """The replies section of one message, times in the viewer's `zone` (widget keys `<prefix>_…`)."""
    message = stats.message(actor, message_id)
    rows = stats.occurrences(actor, message.id)
    st.markdown("**Replies**")
    if not rows:
        st.caption("No occurrence has been sent yet.")
        return
    st.dataframe(table(rows, message, zone), hide_index=True, key=f"{prefix}_table")
    if message.recurring and len(rows) > 1:
        st.altair_chart(trend_chart(rows, message, zone), key=f"{prefix}_trend")
    slots = [r["slot"] for r in rows]
    slot = st.selectbox(
        "Who has not replied to", slots, format_func=lambda s: occurrence(s, message, zone), key=f"{prefix}_slot"
    )
    waiting = stats.not_replied(actor, message.id, slot or slots[0])
    if waiting:
        st.markdown(f"Not replied ({len(waiting)}): " + ", ".join(fmt.literal(c["name"]) for c in waiting))
    else:
        st.caption("Everyone sent this occurrence has replied.")
