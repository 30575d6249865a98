"""What a delivery answer means: delivered, retry later (backoff), or dead-lettered."""

import base64
import json
import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from local_qstash import dlq, redact, schedules
from local_qstash.db import Database
from local_qstash.messages import add_events, event, insert_message
from local_qstash.options import Spec
from local_qstash.sender import Outcome

MAX_BACKOFF_S = 86400


@dataclass
class Result:
    """One finished attempt, handed from a worker to the dispatcher."""

    row: sqlite3.Row
    outcome: Outcome


def backoff_s(retried: int, scale: float) -> float:
    """QStash's default backoff before retry number `retried` (1 = first retry)."""
    return min(MAX_BACKOFF_S, math.exp(2.5 * retried)) * scale


def retry_after_s(headers: dict) -> float | None:
    """A Retry-After in seconds, honoured as given (not scaled); dates are ignored."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return min(MAX_BACKOFF_S, max(0.0, float(value)))
            except ValueError:
                return None
    return None


def is_non_retryable(outcome: Outcome) -> bool:
    """489 + Upstash-NonRetryable-Error: true skips all retries."""
    flag = {k.lower(): v for k, v in outcome.headers.items()}.get("upstash-nonretryable-error", "")
    return outcome.status == 489 and flag.strip().lower() == "true"


def apply(db: Database, results: Iterable[Result], now_ms: int, scale: float) -> list[tuple[Result, str]]:
    """Record a batch of attempts in one transaction; returns each with the state it moved its message to."""
    moved = []
    with db.tx() as conn:
        for result in results:
            state = _apply_one(conn, result.row, result.outcome, now_ms, scale)
            if state:
                moved.append((result, state))
    return moved


def _apply_one(conn, row, outcome: Outcome, now_ms: int, scale: float) -> str | None:
    """Move one message to its next state (returned); a message cancelled meanwhile stays cancelled (None)."""
    answer = {
        "status": outcome.status,
        "body": outcome.body.decode("utf-8", "replace"),
        "header": json.dumps({k: [v] for k, v in outcome.headers.items()}),
    }
    if outcome.ok:
        if _move(conn, row, "DELIVERED"):
            add_events(conn, [event(now_ms, row, "DELIVERED", **answer)])
            _after(conn, row, "SUCCESS", outcome, now_ms)
            return "DELIVERED"
        return None
    error = outcome.error or f"destination answered {outcome.status}"
    if row["retried"] < row["max_retries"] and not is_non_retryable(outcome):
        retried = row["retried"] + 1
        delay = retry_after_s(outcome.headers)
        delay = backoff_s(retried, scale) if delay is None else delay
        next_ms = now_ms + int(delay * 1000)
        if _move(conn, row, "RETRY", retried=retried, due_ms=next_ms):
            add_events(
                conn, [event(now_ms, row, "ERROR", error=error, **answer), event(now_ms, row, "RETRY", next_ms=next_ms)]
            )
            return "RETRY"
        return None
    if _move(conn, row, "FAILED"):
        add_events(
            conn, [event(now_ms, row, "ERROR", error=error, **answer), event(now_ms, row, "FAILED", error=error)]
        )
        dlq_id = dlq.add(conn, row["id"], outcome, now_ms)
        _after(conn, row, "FAIL", outcome, now_ms, dlq_id)
        return "FAILED"
    return None


def _move(conn, row, state: str, **extra) -> bool:
    """Change state only if the message is still ACTIVE (i.e. not cancelled meanwhile)."""
    sets = ", ".join(["state = ?"] + [f"{k} = ?" for k in extra])
    cur = conn.execute(
        f"UPDATE messages SET {sets} WHERE id = ? AND state = 'ACTIVE'", (state, *extra.values(), row["id"])
    )
    return cur.rowcount == 1


def _after(conn, row, state: str, outcome: Outcome, now_ms: int, dlq_id: str | None = None) -> None:
    """Update the schedule's last run and publish the (failure) callback, if any."""
    if row["schedule_id"]:
        schedules.mark_state(conn, row["schedule_id"], row["id"], state)
    url = row["failure_callback"] if dlq_id else row["callback"]
    if not url:
        return
    forward = json.loads((row["failure_callback_header"] if dlq_id else row["callback_header"]) or "{}")
    payload = {
        "status": outcome.status or 0,
        "header": {k: [v] for k, v in outcome.headers.items()},
        "body": base64.b64encode(outcome.body).decode(),
        "retried": row["retried"],
        "maxRetries": row["max_retries"],
        "sourceMessageId": row["id"],
        "url": row["url"],
        "method": row["method"],
        # The callback is a message of its own, logged with its body: no credential goes into it.
        "sourceHeader": redact.headers(json.loads(row["header"])),
        "sourceBody": base64.b64encode(bytes(row["body"])).decode(),
        "notBefore": row["not_before_ms"],
        "createdAt": row["created_ms"],
        "scheduleId": row["schedule_id"],
        "callerIP": row["caller_ip"],
    }
    if dlq_id:
        payload["dlqId"] = dlq_id
    header = {k[len("Forward-") :]: v for k, v in forward.items() if k.lower().startswith("forward-")}
    header["Content-Type"] = ["application/json"]
    spec = Spec(url=url, body=json.dumps(payload).encode(), header=header)
    insert_message(conn, spec, now_ms, now_ms)
