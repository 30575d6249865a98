"""Flow-control keys in the store: their limits, pause and pins, and how many messages wait under each."""

import sqlite3

from local_qstash.db import Database
from local_qstash.flow_gate import Limits

_WAITING = "state IN ('CREATED','RETRY') AND due_ms <= ?"


def limits_of(row) -> Limits:
    """A flow_keys row as the gate's Limits."""
    return Limits(row["rate"], row["parallelism"], row["period_s"], bool(row["paused"]))


def get(db: Database, key: str) -> sqlite3.Row | None:
    """One key's row, or None when no message ever used it."""
    rows = db.query("SELECT * FROM flow_keys WHERE key = ?", (key,))
    return rows[0] if rows else None


def list_all(db: Database) -> list[sqlite3.Row]:
    """Every key, by name."""
    return db.query("SELECT * FROM flow_keys ORDER BY key")


def waiting(db: Database, now_ms: int) -> list[sqlite3.Row]:
    """Keys with messages due now and not started, with their limits and how many wait (the waitlist)."""
    return db.query(
        "SELECT f.*, w.waiting FROM flow_keys f JOIN (SELECT flow_key, COUNT(*) AS waiting FROM messages"
        f" WHERE flow_key IS NOT NULL AND {_WAITING} GROUP BY flow_key) w ON w.flow_key = f.key ORDER BY f.key",
        (now_ms,),
    )


def waitlist_sizes(db: Database, now_ms: int) -> dict[str, int]:
    """Messages due and not started, per key."""
    return {row["key"]: row["waiting"] for row in waiting(db, now_ms)}


def next_due_ms(db: Database, now_ms: int) -> int | None:
    """The earliest due time, still ahead, of any message under flow control."""
    rows = db.query(
        "SELECT MIN(due_ms) AS due FROM messages WHERE flow_key IS NOT NULL"
        " AND state IN ('CREATED','RETRY') AND due_ms > ?",
        (now_ms,),
    )
    return rows[0]["due"] if rows else None


def set_paused(db: Database, key: str, paused: bool) -> bool:
    """Pause or resume a key; False when the key is unknown."""
    with db.tx() as conn:
        return conn.execute("UPDATE flow_keys SET paused = ? WHERE key = ?", (int(paused), key)).rowcount == 1


def pin(db: Database, key: str, rate: int | None, parallelism: int | None, period_s: int | None) -> bool:
    """Fix the given limits: incoming messages no longer change them. False when the key is unknown."""
    sets, params = [], []
    if rate is not None or period_s is not None:
        sets.append("pinned_rate = 1")
    if rate is not None:
        sets.append("rate = ?")
        params.append(rate)
    if period_s is not None:
        sets.append("period_s = ?")
        params.append(period_s)
    if parallelism is not None:
        sets += ["pinned_parallelism = 1", "parallelism = ?"]
        params.append(parallelism)
    with db.tx() as conn:
        found = conn.execute("SELECT 1 FROM flow_keys WHERE key = ?", (key,)).fetchone() is not None
        if found and sets:
            conn.execute(f"UPDATE flow_keys SET {', '.join(sets)} WHERE key = ?", (*params, key))
    return found


def unpin(db: Database, key: str, rate: bool, parallelism: bool) -> bool:
    """Let incoming messages set these limits again (from the next message on). False when unknown."""
    with db.tx() as conn:
        return (
            conn.execute(
                "UPDATE flow_keys SET pinned_rate = CASE WHEN ? THEN 0 ELSE pinned_rate END,"
                " pinned_parallelism = CASE WHEN ? THEN 0 ELSE pinned_parallelism END WHERE key = ?",
                (int(rate), int(parallelism), key),
            ).rowcount
            == 1
        )
