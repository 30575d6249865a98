"""Rows of the Schedules table: rule in words, next run in the viewer's zone, counters."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd
import streamlit as st

from services.schedule_summary import audience_text, next_run, rule_text
from ui.fmt import local

STATUSES = ("scheduled", "paused", "error", "completed", "cancelled")
KINDS = ("once", "daily", "weekly", "cron")


def frame(rows: list[dict], viewer_zone: str, now: datetime, coach_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The table as the page and the CSV show it."""
    records, firsts = [], {}
    for row in rows:
        record = {
            "Title": row["title"],
            "Kind": row["kind"],
            "Audience": audience_text(row),
            "Rule": rule_text(row),
            "Next run": local(next_run(row, now, firsts), viewer_zone),
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
        "Audience",
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


def selectable(table: pd.DataFrame, rows: list[dict]) -> str | None:
    """Show the table with single-row selection; returns the id of the message whose row is selected."""
    # A selection is a row position, so it belongs to this exact list: when the rows shown change (another page,
    # a filter, a new or deleted message) the table is a new widget and nothing is selected. A status change keeps
    # the list, so the panel stays open across actions.
    ids = [row["id"] for row in rows]
    digest = hashlib.sha256(",".join(ids).encode()).hexdigest()[:12]
    event = st.dataframe(
        table,
        hide_index=True,
        # The ids are for support's look-ups: in the CSV and the opened schedule, not crowding the table.
        column_order=[c for c in table.columns if c not in ("QStash id", "Message id")],
        on_select="rerun",
        selection_mode="single-row",
        key=f"list_table_{digest}",
    )
    picked = [n for n in event.selection.rows if n < len(ids)]
    return ids[picked[0]] if picked else None
