"""Schedule rows: upsert, read, pause, and turning due occurrences into messages."""

import json
import sqlite3

from local_qstash import cron
from local_qstash.db import Database
from local_qstash.messages import flow_columns, flow_of, insert_message, new_id
from local_qstash.options import BadRequest, Spec

_ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def check_schedule_id(schedule_id: str) -> str:
    """Schedule ids are limited to [A-Za-z0-9._-], as in QStash."""
    if not schedule_id or not set(schedule_id) <= _ID_CHARS or len(schedule_id) > 200:
        raise BadRequest("invalid Upstash-Schedule-Id: use only A-Z a-z 0-9 . _ -")
    return schedule_id


def upsert(db: Database, schedule_id: str | None, cron_text: str, spec: Spec, now_ms: int) -> str:
    """Create the schedule, or replace the one with the same id (keeping createdAt and pause)."""
    schedule_id = check_schedule_id(schedule_id) if schedule_id else new_id("scd_")
    next_ms = cron.next_fire_ms(cron_text, now_ms)
    values = {
        "id": schedule_id,
        "destination": spec.url,
        "cron": cron_text.strip(),
        "created_ms": now_ms,
        "method": spec.method,
        "header": json.dumps(spec.header),
        "body": bytes(spec.body),
        "retries": spec.max_retries,
        "delay_s": spec.delay_s,
        "timeout_s": spec.timeout_s,
        "callback": spec.callback,
        "failure_callback": spec.failure_callback,
        "callback_header": json.dumps(spec.callback_header),
        "failure_callback_header": json.dumps(spec.failure_callback_header),
        "next_fire_ms": next_ms,
        "caller_ip": spec.caller_ip,
        "label": spec.label,
        **flow_columns(spec.flow),
    }
    keep = ("id", "created_ms")
    updates = ", ".join(f"{k} = excluded.{k}" for k in values if k not in keep)
    with db.tx() as conn:
        conn.execute(
            f"INSERT INTO schedules ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})"
            f" ON CONFLICT(id) DO UPDATE SET {updates}",
            tuple(values.values()),
        )
    return schedule_id


def get(db: Database, schedule_id: str) -> sqlite3.Row | None:
    """Return one schedule row or None."""
    rows = db.query("SELECT * FROM schedules WHERE id = ?", (schedule_id,))
    return rows[0] if rows else None


def list_all(db: Database) -> list[sqlite3.Row]:
    """Return every schedule, oldest first."""
    return db.query("SELECT * FROM schedules ORDER BY created_ms, id")


def delete(db: Database, schedule_id: str) -> bool:
    """Delete a schedule; True when it existed."""
    with db.tx() as conn:
        return conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,)).rowcount > 0


def set_paused(db: Database, schedule_id: str, paused: bool, now_ms: int) -> bool:
    """Pause or resume; resuming recomputes the next fire so missed slots are not replayed."""
    row = get(db, schedule_id)
    if row is None:
        return False
    next_ms = row["next_fire_ms"] if paused else cron.next_fire_ms(row["cron"], now_ms)
    with db.tx() as conn:
        conn.execute(
            "UPDATE schedules SET paused = ?, next_fire_ms = ? WHERE id = ?", (int(paused), next_ms, schedule_id)
        )
    return True


def next_fire_ms(db: Database) -> int | None:
    """Earliest fire time of any active schedule."""
    rows = db.query("SELECT MIN(next_fire_ms) AS t FROM schedules WHERE paused = 0")
    return rows[0]["t"] if rows else None


def realign(db: Database, now_ms: int) -> int:
    """Pull fire times back to the rule's next slot after now; return how many moved."""
    # A next fire time computed before the clock moved backwards lies further ahead than the rule
    # allows (an every-minute schedule would wait an extra hour); nothing else makes it so.
    with db.tx() as conn:
        rows = conn.execute("SELECT id, cron, next_fire_ms FROM schedules WHERE paused = 0").fetchall()
        moved = []
        for row in rows:
            expected = cron.next_fire_ms(row["cron"], now_ms)
            if row["next_fire_ms"] is None or row["next_fire_ms"] > expected:
                moved.append((expected, row["id"]))
        conn.executemany("UPDATE schedules SET next_fire_ms = ? WHERE id = ?", moved)
    return len(moved)


def fire_due(db: Database, now_ms: int) -> int:
    """Create one message per due schedule; slots missed while down collapse into this one."""
    with db.tx() as conn:
        rows = conn.execute("SELECT * FROM schedules WHERE paused = 0 AND next_fire_ms <= ?", (now_ms,)).fetchall()
        for row in rows:
            spec = _spec_of(row)
            due = now_ms + int((row["delay_s"] or 0) * 1000)
            message_id = insert_message(conn, spec, now_ms, due)
            conn.execute(
                "UPDATE schedules SET last_fire_ms = ?, next_fire_ms = ?, last_states = ? WHERE id = ?",
                (now_ms, cron.next_fire_ms(row["cron"], now_ms), json.dumps({message_id: "IN_PROGRESS"}), row["id"]),
            )
    return len(rows)


def mark_state(conn: sqlite3.Connection, schedule_id: str, message_id: str, state: str) -> None:
    """Record SUCCESS/FAIL of a message from the schedule's last run."""
    row = conn.execute("SELECT last_states FROM schedules WHERE id = ?", (schedule_id,)).fetchone()
    if row is None:
        return
    states = json.loads(row["last_states"] or "{}")
    if message_id in states:
        states[message_id] = state
        conn.execute("UPDATE schedules SET last_states = ? WHERE id = ?", (json.dumps(states), schedule_id))


def _spec_of(row: sqlite3.Row) -> Spec:
    """Build the message spec one occurrence of a schedule delivers."""
    return Spec(
        url=row["destination"],
        body=bytes(row["body"]),
        method=row["method"],
        header=json.loads(row["header"]),
        max_retries=row["retries"],
        timeout_s=row["timeout_s"],
        callback=row["callback"],
        failure_callback=row["failure_callback"],
        callback_header=json.loads(row["callback_header"] or "{}"),
        failure_callback_header=json.loads(row["failure_callback_header"] or "{}"),
        schedule_id=row["id"],
        caller_ip=row["caller_ip"],
        label=row["label"],
        flow=flow_of(row),  # each occurrence carries the schedule's flow control
    )
