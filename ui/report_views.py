"""Tables and controls of the Reports page: failure groups, the group retry's confirmation, the schedule audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from services.errors import UserError
from ui import fmt
from ui.fmt import local

GROUP_TITLES = {"reason": "Reason", "coach": "Coach", "client": "Client"}
CONFIRM_KEY = "reports_confirm"
AUDIT_COLUMNS = {
    "owner": "Owner",
    "owner_email": "Owner email",
    "title": "Title",
    "status": "Status",
    "audience": "Audience",
    "rule": "Rule",
    "last_send": "Last send",
    "next_send": "Next send",
    "sent": "Sent in month",
    "failed": "Failed in month",
    "change_count": "Changes in month",
    "change_text": "Changes",
    "id": "Message id",
}


def groups(rows: list[dict], by: str, zone: str) -> pd.DataFrame:
    """One row per group of failures, largest first (a client's row names its coach too)."""
    title = GROUP_TITLES[by]
    records = [
        {
            title: row["label"] or "(no error recorded)",
            **({"Coach": row["coach"]} if by == "client" else {}),
            "Failures": row["failures"],
            "Messages": row["messages"],
            "Last failure": local(row["last"], zone),
        }
        for row in rows
    ]
    columns = [title] + (["Coach"] if by == "client" else []) + ["Failures", "Messages", "Last failure"]
    return pd.DataFrame(records, columns=columns)


def group_picker(rows: list[dict], by: str, ask: Callable[[str, str], None]) -> None:
    """Choose one group and ask to retry it (the confirmation, with the count, comes next)."""
    labels = {row["key"]: f"{row['label'] or '(no error recorded)'} — {row['failures']} failed" for row in rows}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    key = left.selectbox(
        f"{GROUP_TITLES[by]} group to retry", list(labels), format_func=labels.get, index=None, key=f"reports_pick_{by}"
    )
    if right.button("Retry this group", key=f"reports_retry_{by}", disabled=key is None, icon=":material/replay:"):
        ask(by, key)


def confirm_retry(retry: Callable[[list[str]], int]) -> None:
    """The pending group retry with its count: Yes retries exactly those deliveries, Cancel forgets them."""
    pending = st.session_state.get(CONFIRM_KEY)
    if not pending:
        return
    count = len(pending["ids"])
    noun = "delivery" if count == 1 else "deliveries"
    with st.container(border=True):
        st.warning(
            f"Retry **{count} failed {noun}** of {GROUP_TITLES[pending['by']].lower()} "
            f"“{fmt.literal(pending['label'])}”? They go back to pending and QStash fires their occurrences again."
        )
        yes, no, _ = st.columns([1, 1, 3])
        if yes.button(f"Yes, retry {count}", key="reports_confirm_yes", type="primary"):
            st.session_state.pop(CONFIRM_KEY, None)  # popped first: a second click finds nothing to confirm
            try:
                with st.spinner("Reopening and asking QStash to fire again…"):
                    retried = retry(pending["ids"])
            except UserError as exc:
                st.session_state["reports_flash"] = ("error", fmt.literal(exc.message))
            else:
                done = "delivery" if retried == 1 else "deliveries"
                st.session_state["reports_flash"] = ("success", f"Retrying {retried} failed {done} of that group.")
            st.rerun()
        if no.button("Cancel", key="reports_confirm_no"):
            st.session_state.pop(CONFIRM_KEY, None)
            st.rerun()


def audit(rows: list[dict], zone: str) -> pd.DataFrame:
    """One row per schedule; changes as "when, what, by whom: what changed", oldest first."""
    records = [
        {
            **{name: row[name] for name in AUDIT_COLUMNS if name in row},
            "last_send": local(row["last_send"], zone),
            "next_send": local(row["next_send"], zone),
            "change_count": len(row["changes"]),
            "change_text": " | ".join(_change(event, zone) for event in row["changes"]),
        }
        for row in rows
    ]
    return pd.DataFrame(records, columns=list(AUDIT_COLUMNS)).rename(columns=AUDIT_COLUMNS)


def _change(event: dict, zone: str) -> str:
    """'2026-11-03 10:00 EST Edited by Casey: Time: 09:00 → 10:00'."""
    head = f"{local(event['at'], zone)} {event['action']} by {event['by']}"
    return f"{head}: {event['changes']}" if event["changes"] else head


def audit_csv(rows: Callable[[], list[dict]], zone: str) -> bytes:
    """Every audited schedule as spreadsheet-safe CSV (called only when Prepare CSV is pressed)."""
    with st.spinner("Preparing the CSV…"):
        return fmt.csv_bytes(audit(rows(), zone))


def months_back(today: date, count: int = 12) -> list[tuple[int, int]]:
    """(year, month) of this month and the `count - 1` before it, newest first."""
    index = today.year * 12 + today.month - 1
    return [((index - n) // 12, (index - n) % 12 + 1) for n in range(count)]
