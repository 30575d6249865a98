"""Message rows: publish (with dedup), lookup, cancel, claim due work, crash recovery."""

import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence

from local_qstash.db import Database
from local_qstash.options import Spec

DEDUP_WINDOW_MS = 10 * 60 * 1000
LIVE_STATES = ("CREATED", "ACTIVE", "RETRY")


def new_id(prefix: str) -> str:
    """Make a random id in QStash's style (prefix + opaque text)."""
    return prefix + uuid.uuid4().hex


def due_time_ms(spec: Spec, now_ms: int) -> int:
    """Not-before wins over delay, as in QStash; neither means now."""
    if spec.not_before_s is not None:
        return max(now_ms, spec.not_before_s * 1000)
    if spec.delay_s:
        return now_ms + int(spec.delay_s * 1000)
    return now_ms


def add_events(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Append log events: (time_ms, message_id, state, url, schedule_id, label, error,
    next_delivery_ms, response_status, response_header, response_body)."""
    conn.executemany(
        "INSERT INTO events (time_ms, message_id, state, url, schedule_id, label, error,"
        " next_delivery_ms, response_status, response_header, response_body)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def event(time_ms: int, row, state: str, **extra) -> tuple:
    """Build one event tuple for a message row (or Spec-like mapping)."""
    return (
        time_ms,
        row["id"],
        state,
        row["url"],
        row["schedule_id"],
        row["label"],
        extra.get("error"),
        extra.get("next_ms"),
        extra.get("status"),
        extra.get("header"),
        extra.get("body"),
    )


def insert_message(conn: sqlite3.Connection, spec: Spec, now_ms: int, due_ms: int) -> str:
    """Store a new message ready for delivery at due_ms and log CREATED."""
    row = {
        "id": new_id("msg_"),
        "url": spec.url,
        "method": spec.method,
        "header": json.dumps(spec.header),
        "body": bytes(spec.body),
        "max_retries": spec.max_retries,
        "not_before_ms": due_ms,
        "created_ms": now_ms,
        "due_ms": due_ms,
        "state": "CREATED",
        "timeout_s": spec.timeout_s,
        "callback": spec.callback,
        "failure_callback": spec.failure_callback,
        "callback_header": json.dumps(spec.callback_header),
        "failure_callback_header": json.dumps(spec.failure_callback_header),
        "schedule_id": spec.schedule_id,
        "caller_ip": spec.caller_ip,
        "label": spec.label,
    }
    columns = ", ".join(row)
    conn.execute(f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    add_events(conn, [event(now_ms, row, "CREATED")])
    return row["id"]


def publish(db: Database, spec: Spec, now_ms: int) -> tuple[str, bool]:
    """Store a message unless its dedup id was seen in the last 10 minutes."""
    with db.tx() as conn:
        if spec.dedup_id:
            seen = conn.execute(
                "SELECT message_id, created_ms FROM dedup WHERE dedup_id = ?", (spec.dedup_id,)
            ).fetchone()
            if seen and seen["created_ms"] > now_ms - DEDUP_WINDOW_MS:
                return seen["message_id"], True
        message_id = insert_message(conn, spec, now_ms, due_time_ms(spec, now_ms))
        if spec.dedup_id:
            conn.execute("INSERT OR REPLACE INTO dedup VALUES (?, ?, ?)", (spec.dedup_id, message_id, now_ms))
        # Expired dedup ids are pruned here so the table stays small without a janitor.
        conn.execute("DELETE FROM dedup WHERE created_ms <= ?", (now_ms - DEDUP_WINDOW_MS,))
    return message_id, False


def get_live(db: Database, message_id: str) -> sqlite3.Row | None:
    """Return a message still waiting or in flight (QStash forgets finished ones)."""
    rows = db.query("SELECT * FROM messages WHERE id = ? AND state IN ('CREATED','ACTIVE','RETRY')", (message_id,))
    return rows[0] if rows else None


def cancel(db: Database, message_ids: Sequence[str] | None, now_ms: int) -> int:
    """Cancel live messages (all of them when ids is None); return how many."""
    with db.tx() as conn:
        where = "state IN ('CREATED','ACTIVE','RETRY')"
        params: tuple = ()
        if message_ids is not None:
            where += f" AND id IN ({', '.join('?' * len(message_ids))})"
            params = tuple(message_ids)
        # QStash's spelling: the SDK's LogState knows CANCELED only, and fails on anything else.
        rows = conn.execute(f"UPDATE messages SET state = 'CANCELED' WHERE {where} RETURNING *", params).fetchall()
        add_events(conn, [event(now_ms, r, s) for r in rows for s in ("CANCEL_REQUESTED", "CANCELED")])
    return len(rows)


def claim_due(db: Database, now_ms: int, limit: int) -> list[sqlite3.Row]:
    """Mark up to `limit` due messages ACTIVE (oldest due first) and return them."""
    with db.tx() as conn:
        rows = conn.execute(
            "UPDATE messages SET state = 'ACTIVE' WHERE id IN (SELECT id FROM messages"
            " WHERE state IN ('CREATED','RETRY') AND due_ms <= ? ORDER BY due_ms LIMIT ?)"
            " RETURNING *",
            (now_ms, limit),
        ).fetchall()
        add_events(conn, [event(now_ms, r, "ACTIVE") for r in rows])
    return sorted(rows, key=lambda r: r["due_ms"])


def next_due_ms(db: Database) -> int | None:
    """Earliest due time of any waiting message."""
    row = db.query("SELECT MIN(due_ms) AS due FROM messages WHERE state IN ('CREATED','RETRY')")
    return row[0]["due"] if row else None


def requeue_inflight(db: Database, now_ms: int) -> int:
    """After a crash, deliveries that were in flight are due again (at least once)."""
    with db.tx() as conn:
        rows = conn.execute(
            "UPDATE messages SET state = CASE WHEN retried > 0 THEN 'RETRY' ELSE 'CREATED' END,"
            " due_ms = MIN(due_ms, ?) WHERE state = 'ACTIVE' RETURNING *",
            (now_ms,),
        ).fetchall()
    return len(rows)
