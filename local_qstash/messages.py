"""Message rows: publish (with dedup), lookup, cancel, claim due work, crash recovery."""

import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence

from local_qstash.db import Database
from local_qstash.options import DEFAULT_PERIOD_S, Flow, Spec

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
        **flow_columns(spec.flow),
    }
    if spec.flow is not None:
        note_flow_key(conn, spec.flow)
    columns = ", ".join(row)
    conn.execute(f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    add_events(conn, [event(now_ms, row, "CREATED")])
    return row["id"]


def flow_columns(flow: Flow | None) -> dict:
    """The flow-control columns a message or schedule row keeps (all NULL without flow control)."""
    if flow is None:
        return {"flow_key": None, "flow_rate": None, "flow_parallelism": None, "flow_period_s": None}
    return {
        "flow_key": flow.key,
        "flow_rate": flow.rate,
        "flow_parallelism": flow.parallelism,
        "flow_period_s": flow.period_s,
    }


def flow_of(row) -> Flow | None:
    """The flow control a stored message or schedule row asked for."""
    if not row["flow_key"]:
        return None
    return Flow(row["flow_key"], row["flow_rate"], row["flow_parallelism"], row["flow_period_s"] or DEFAULT_PERIOD_S)


def note_flow_key(conn: sqlite3.Connection, flow: Flow) -> None:
    """The key takes the limits of its newest message, except the parts support pinned."""
    conn.execute(
        "INSERT INTO flow_keys (key, rate, parallelism, period_s) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET"
        " rate = CASE WHEN pinned_rate THEN rate ELSE excluded.rate END,"
        " period_s = CASE WHEN pinned_rate THEN period_s ELSE excluded.period_s END,"
        " parallelism = CASE WHEN pinned_parallelism THEN parallelism ELSE excluded.parallelism END",
        (flow.key, flow.rate, flow.parallelism, flow.period_s),
    )


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


def claim_due(db: Database, now_ms: int, limit: int, flow_key: str | None = None) -> list[sqlite3.Row]:
    """Mark up to `limit` due messages ACTIVE (oldest due first) and return them.

    Without a `flow_key`, only messages without flow control; with one, only that key's (the flow gate decides
    how many may start).
    """
    key_match = "flow_key IS NULL" if flow_key is None else "flow_key = ?"
    key_param = () if flow_key is None else (flow_key,)
    with db.tx() as conn:
        rows = conn.execute(
            "UPDATE messages SET state = 'ACTIVE' WHERE id IN (SELECT id FROM messages"
            f" WHERE state IN ('CREATED','RETRY') AND {key_match} AND due_ms <= ? ORDER BY due_ms LIMIT ?)"
            " RETURNING *",
            (*key_param, now_ms, limit),
        ).fetchall()
        add_events(conn, [event(now_ms, r, "ACTIVE") for r in rows])
    return sorted(rows, key=lambda r: r["due_ms"])


def next_due_ms(db: Database) -> int | None:
    """Earliest due time of any waiting message without flow control (the flow gate times the others)."""
    row = db.query("SELECT MIN(due_ms) AS due FROM messages WHERE state IN ('CREATED','RETRY') AND flow_key IS NULL")
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
