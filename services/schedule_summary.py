"""How a stored schedule reads to people: its rule in words and when it sends next."""

from __future__ import annotations

from datetime import datetime

from services import recurrence


def rule_text(row: dict) -> str:
    """'Once at …' or the cron rule in words, with the zone it follows."""
    each_client = row["zone_mode"] == "client"
    if row["kind"] == "once":
        at = row["send_at"].astimezone(recurrence.zone(row["timezone"])).strftime("%Y-%m-%d %H:%M %Z")
        return f"Once at {at}" + (" in each client's zone" if each_client else "")
    zone = "each client's zone" if each_client else row["timezone"]
    return f"{recurrence.describe_or_rule(row['cron'])} ({zone})"


def audience_text(row: dict) -> str:
    """'all', 'tag vip' or '3 clients' (a "chosen clients" row carries its `client_count`)."""
    if row["target"] == "tag":
        return f"tag {row['target_tag']}"
    if row["target"] == "clients":
        count = row.get("client_count", 0)
        return f"{count} client{'' if count == 1 else 's'}"
    return "all"


def next_run(row: dict, now: datetime, firsts: dict | None = None) -> datetime | None:
    """When it sends next, or None when it will not send.

    firsts: a memo of each rule's next occurrence by (cron, zone), shared by the rows of one table at one `now`:
    thousands of messages share a handful of rules, and croniter takes about a millisecond per answer.
    """
    if row["status"] not in ("scheduled", "error"):
        return None
    if row["kind"] == "once":
        return row["send_at"] if row["send_at"] and row["send_at"] > now else None
    firsts = {} if firsts is None else firsts
    rule = (row["cron"], row["timezone"])
    if rule not in firsts:
        found = recurrence.next_occurrences(row["cron"], row["timezone"], now, 1)
        firsts[rule] = found[0].at if found else None
    at = firsts[rule]
    if at is None or (row["end_at"] and at > row["end_at"]):
        return None
    return at
