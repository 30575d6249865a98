"""Rows of the Schedules table: rule in words, next run in the viewer's zone, counters."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from services.schedule_summary import next_run, rule_text
from ui.fmt import local

STATUSES = ("scheduled", "paused", "error", "completed", "cancelled")
KINDS = ("once", "daily", "weekly", "cron")


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
