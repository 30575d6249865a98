"""Fill any database (SQLite or PostgreSQL) with clients and a realistic mix of scheduled messages."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert

from services.db.schema import client_tags, clients, message_recipients
from services.db.schema import scheduled_messages as messages

ZONES = ("UTC", "America/New_York", "Europe/London", "Asia/Tokyo")
# (kind, cron) in turn: one-time sends and the three recurring kinds the compose form makes.
RULES = (("once", None), ("daily", "0 9 * * *"), ("weekly", "30 8 * * 1"), ("cron", "*/15 9-17 * * 1-5"))
STATUSES = ("scheduled", "scheduled", "paused", "error", "completed", "cancelled")


def fill(engine: Engine, coaches: tuple[str, ...], now: datetime, clients_n: int, messages_n: int) -> float:
    """Insert clients (every third tagged vip) and messages spread over the coaches; returns the seconds taken.

    Every tenth message goes to three chosen clients, every tenth but one to the tag, the rest to all.
    """
    started = time.perf_counter()
    people = [
        {"id": f"c-{i:06d}", "coach_id": coaches[i % len(coaches)], "name": f"Client {i}", "timezone": ZONES[i % 4],
         "chat_user_id": f"client-{i:06d}", "active": i % 20 != 0, "created_at": now}
        for i in range(clients_n)
    ]  # fmt: skip
    rows = [_message(m, coaches[m % len(coaches)], now) for m in range(messages_n)]
    per_coach = clients_n // len(coaches)  # client i belongs to coach i % len(coaches), as message m does
    chosen = [
        {
            "message_id": row["id"],
            "client_id": people[((m * 7 + k) % per_coach) * len(coaches) + m % len(coaches)]["id"],
        }
        for m, row in enumerate(rows)
        if row["target"] == "clients"
        for k in range(3)
    ]
    with engine.begin() as conn:
        conn.execute(insert(clients), people)
        conn.execute(insert(client_tags), [{"client_id": p["id"], "tag": "vip"} for p in people[::3]])
        conn.execute(insert(messages), rows)
        conn.execute(insert(message_recipients), chosen)
    return time.perf_counter() - started


def _message(m: int, coach_id: str, now: datetime) -> dict:
    """The m-th message: kind, status, audience and zone vary with m."""
    kind, cron = RULES[m % len(RULES)]
    status = STATUSES[m % len(STATUSES)]
    target = "clients" if m % 10 == 0 else "tag" if m % 10 == 1 else "all"
    if kind == "once":
        status = "completed" if status == "completed" else "scheduled"
    return {
        "id": f"m-{m:06d}", "coach_id": coach_id, "title": f"Message {m}", "body": "Hi {first_name}, see you soon",
        "target": target, "target_tag": "vip" if target == "tag" else None, "kind": kind,
        "send_at": now + timedelta(days=m % 30 + 1) if kind == "once" else None, "cron": cron,
        "timezone": ZONES[m % 4], "zone_mode": "client" if m % 5 == 0 else "coach", "end_at": None,
        "max_occurrences": None, "status": status, "qstash_id": f"scd_{m:06d}" if kind != "once" else f"msg_{m:06d}",
        "last_error": "QStash answered 500" if status == "error" else None, "version": 1,
        "created_at": now - timedelta(minutes=m), "updated_at": now, "occurrences": 0, "sent_count": m % 40,
        "failed_count": m % 3,
    }  # fmt: skip
