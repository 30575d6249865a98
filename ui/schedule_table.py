"""Rows of the Schedules table: rule in words, next run in the viewer's zone, counters."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from services import recurrence
from ui.fmt import local

STATUSES = ("scheduled", "paused", "error", "completed", "cancelled")
KINDS = ("once", "daily", "weekly", "cron")


def rule_text(row: dict) -> str:
    """'Once at …' or the cron rule in words, with the zone it follows."""
    zone = "each client's zone" if row["zone_mode"] == "client" else row["timezone"]
    if row["kind"] == "once":
        return f"Once at {local(row['send_at'], row['timezone'])}" + (
            " in each client's zone" if row["zone_mode"] == "client" else ""
        )
    try:
        return f"{recurrence.describe(row['cron'])} ({zone})"
    except Exception:  # an odd stored rule must not break the whole table
        return f"{row['cron']} ({zone})"


def next_run(row: dict, now: datetime) -> datetime | None:
    """When it sends next, or None when it will not send."""
    if row["status"] not in ("scheduled", "error"):
        return None
    if row["kind"] == "once":
        return row["send_at"] if row["send_at"] and row["send_at"] > now else None
    found = recurrence.next_occurrences(row["cron"], row["timezone"], now, 1)
    if not found or (row["end_at"] and found[0].at > row["end_at"]):
        return None
    return found[0].at


def frame(rows: list[dict], viewer_zone: str, now: datetime, coach_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The table as the page and the CSV show it."""
    records = []
    for row in rows:
        record = {
            "Title": row["title"],
            "Kind": row["kind"],
            "Rule": rule_text(row),
            "Next run": local(next_run(row, now), viewer_zone),
            "Status": row["status"],
            "Last error": row["last_error"] or "",
            "Sent": row["sent_count"],
            "Failed": row["failed_count"],
            "QStash id": row["qstash_id"] or "",
            "Message id": row["id"],
        }
        if coach_names is not None:
            record = {"Coach": coach_names.get(row["coach_id"], row["coach_id"]), **record}
        records.append(record)
    columns = (["Coach"] if coach_names is not None else []) + [
        "Title",
        "Kind",
        "Rule",
        "Next run",
        "Status",
        "Last error",
        "Sent",
        "Failed",
        "QStash id",
        "Message id",
    ]
    return pd.DataFrame(records, columns=columns)
