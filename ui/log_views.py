"""Tables and the chart of the Delivery Log page."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd

from ui.fmt import local, slot, slot_zone

STATUSES = ("sent", "failed", "pending", "skipped")
COLORS = {"sent": "#2e7d32", "failed": "#c62828", "pending": "#f9a825", "skipped": "#78909c"}


def deliveries(rows: list[dict], zone: str, with_coach: bool, when: Callable | None = None) -> pd.DataFrame:
    """One row per recipient and occurrence; `when` formats times (default: fmt.local in the zone)."""
    when = when or (lambda at: local(at, zone))
    records = [
        {
            "Coach": r["coach"],
            "Client": r["client"],
            "Message": r["message"],
            "Slot": slot(r["slot"], slot_zone(r), zone),
            "Status": r["status"],
            "Attempts": r["attempts"],
            "Last error": r["last_error"] or "",
            "Sent at": when(r["sent_at"]),
            "Updated": when(r["updated_at"]),
            "Delivery id": r["id"],
        }
        for r in rows
    ]
    columns = ["Client", "Message", "Slot", "Status", "Attempts", "Last error", "Sent at", "Updated", "Delivery id"]
    return pd.DataFrame(records, columns=(["Coach"] if with_coach else []) + columns)


def runs(rows: list[dict], zone: str) -> pd.DataFrame:
    """One row per webhook call that did work."""
    return pd.DataFrame(
        [
            {
                "Started": local(r["started_at"], zone),
                "Message": r["message"],
                "Slot": slot(r["slot"], r["zone"], zone),
                "Zone": r["zone"] or "",
                "Retried": r["retried"],
                "Outcome": r["outcome"] or "running",
                "Total": r["total"],
                "Sent": r["sent"],
                "Failed": r["failed"],
                "Skipped": r["skipped"],
                "Pending": r["pending"],
                "QStash message": r["qstash_message_id"] or "",
            }
            for r in rows
        ],
        columns=[
            "Started",
            "Message",
            "Slot",
            "Zone",
            "Retried",
            "Outcome",
            "Total",
            "Sent",
            "Failed",
            "Skipped",
            "Pending",
            "QStash message",
        ],
    )


def per_day_chart(points: list[dict], zone: str) -> alt.Chart:
    """Stacked bars: deliveries per day of the viewer's zone by status."""
    data = pd.DataFrame(points, columns=["day", "status", "count"])
    return (
        alt.Chart(data)
        .mark_bar(size=28)
        .encode(
            x=alt.X("day:O", title=f"Day ({zone})", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count:Q", title="Deliveries"),
            color=alt.Color(
                "status:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())), title="Status"
            ),
            tooltip=["day:O", "status:N", "count:Q"],
        )
        .properties(height=220)
    )
