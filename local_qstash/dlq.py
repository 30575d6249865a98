"""Dead-letter queue rows: messages whose delivery failed for good."""

import json
import sqlite3
from collections.abc import Sequence

from local_qstash.db import Database
from local_qstash.messages import insert_message, new_id
from local_qstash.sender import Outcome

_FILTERS = {
    "messageId": "m.id = ?",
    "url": "m.url = ?",
    "scheduleId": "m.schedule_id = ?",
    "label": "m.label = ?",
    "callerIp": "m.caller_ip = ?",
    "responseStatus": "d.response_status = ?",
    "fromDate": "d.created_ms >= ?",
    "toDate": "d.created_ms <= ?",
}
_SELECT = (
    "SELECT d.seq, d.dlq_id, d.created_ms AS dlq_created_ms, d.response_status,"
    " d.response_header, d.response_body, d.error, m.* FROM dlq d"
    " JOIN messages m ON m.id = d.message_id"
)


def add(conn: sqlite3.Connection, message_id: str, outcome: Outcome, now_ms: int) -> str:
    """Put a failed message into the DLQ with its last answer."""
    dlq_id = f"{now_ms}-{new_id('')[:12]}"
    conn.execute(
        "INSERT INTO dlq (dlq_id, message_id, created_ms, response_status, response_header,"
        " response_body, error) VALUES (?,?,?,?,?,?,?)",
        (
            dlq_id,
            message_id,
            now_ms,
            outcome.status or 0,
            json.dumps({k: [v] for k, v in outcome.headers.items()}),
            outcome.body.decode("utf-8", "replace"),
            outcome.error,
        ),
    )
    return dlq_id


def get(db: Database, dlq_id: str) -> sqlite3.Row | None:
    """Return one DLQ entry joined with its message."""
    rows = db.query(_SELECT + " WHERE d.dlq_id = ?", (dlq_id,))
    return rows[0] if rows else None


def page(db: Database, filters: dict, cursor: int | None, count: int) -> tuple[list, int | None]:
    """Newest first; returns (rows, next cursor or None)."""
    where, params = [], []
    for name, clause in _FILTERS.items():
        if filters.get(name) not in (None, ""):
            where.append(clause)
            params.append(filters[name])
    if cursor is not None:
        where.append("d.seq < ?")
        params.append(cursor)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    rows = db.query(sql + " ORDER BY d.seq DESC LIMIT ?", (*params, count + 1))
    more = len(rows) > count
    rows = rows[:count]
    return rows, (rows[-1]["seq"] if more and rows else None)


def delete(db: Database, dlq_ids: Sequence[str]) -> int:
    """Remove entries; return how many existed."""
    if not dlq_ids:
        return 0
    with db.tx() as conn:
        marks = ", ".join("?" * len(dlq_ids))
        return conn.execute(f"DELETE FROM dlq WHERE dlq_id IN ({marks})", tuple(dlq_ids)).rowcount


def retry(db: Database, dlq_id: str, make_spec, now_ms: int) -> str | None:
    """Re-publish a DLQ entry as a new message and remove the entry, in one transaction."""
    row = get(db, dlq_id)
    if row is None:
        return None
    spec = make_spec(row)
    with db.tx() as conn:
        if conn.execute("DELETE FROM dlq WHERE dlq_id = ?", (dlq_id,)).rowcount != 1:
            return None  # retried concurrently by someone else
        return insert_message(conn, spec, now_ms, now_ms)
