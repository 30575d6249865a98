"""Audit events as people read them: who, and a short list of what changed ("Time: 09:00 → 10:00; Text changed")."""

from __future__ import annotations

from datetime import datetime

from services import recurrence

LABELS = {
    "title": "Title",
    "target": "Send to",
    "target_tag": "Tag",
    "kind": "Repeat",
    "send_at": "Send at",
    "timezone": "Zone",
    "zone_mode": "Delivery time",
    "end_at": "End date",
    "max_occurrences": "Max sends",
    "status": "Status",
    "deleted_at": "Deleted",
    "retried": "Failed deliveries reopened",
    "follow_up": "Follow-up",
}
ACTIONS = {
    "create": "Created",
    "edit": "Edited",
    "pause": "Paused",
    "resume": "Resumed",
    "cancel": "Cancelled",
    "repair": "Repaired",
    "qstash_error": "QStash refused",
    "delete": "Deleted",
    "retry": "Retried failed deliveries",
    "cancel_nudge": "Nudge cancelled",
}
ZONE_MODES = {"coach": "the zone above", "client": "each client's own zone"}
_TIMES = ("send_at", "end_at", "deleted_at")
# Timing first, the text last: the order a coach reads a schedule in.
ORDER = (
    "title",
    "status",
    "kind",
    "send_at",
    "cron",
    "timezone",
    "zone_mode",
    "end_at",
    "max_occurrences",
    "target",
    "target_tag",
    "client_ids",
    "body",
)


def changes(old: dict | None, new: dict | None, zone_name: str) -> str:
    """What an event changed, field by field, times in the viewer's zone."""
    old, new = old or {}, new or {}
    parts = []
    for name in sorted(new, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
        before, after = old.get(name), new[name]
        if name in old and before == after:
            continue
        parts += _field(name, before, after, name in old, zone_name)
    return "; ".join(parts)


def _field(name: str, before, after, had_before: bool, zone_name: str) -> list[str]:
    """The words for one changed field (a new message shows its values without arrows)."""
    if name == "body":
        return ["Text changed"] if had_before else []
    if name == "cron":
        return _rule(before, after, had_before)
    if name == "client_ids":
        count = len(after or [])
        return [f"Clients: {len(before or [])} → {count}" if had_before else f"Clients: {count}"]
    label = LABELS.get(name, name)
    shown_after = _value(name, after, zone_name)
    if not had_before:
        return [f"{label}: {shown_after}"] if shown_after else []
    return [f"{label}: {_value(name, before, zone_name) or '—'} → {shown_after or '—'}"]


def _value(name: str, value, zone_name: str) -> str:
    """One stored value in words."""
    if value is None or value == "":
        return ""
    if name in _TIMES:
        at = datetime.fromisoformat(value) if isinstance(value, str) else value
        return at.astimezone(recurrence.zone(zone_name)).strftime("%Y-%m-%d %H:%M %Z")
    if name == "zone_mode":
        return ZONE_MODES.get(value, value)
    if name == "follow_up" and isinstance(value, dict):
        return f"after {value.get('delay_seconds', 0) / 3600:g} h without a reply"
    return str(value)


def _rule(before: str | None, after: str | None, had_before: bool) -> list[str]:
    """A daily or weekly rule reads as its time and weekdays; any other rule as a sentence."""
    words = recurrence.describe_or_rule(after) if after else "none"
    if not had_before:
        return [f"Rule: {words}"] if after else []
    if not _simple(before) or not _simple(after):
        return [f"Rule: {recurrence.describe_or_rule(before) if before else 'none'} → {words}"]
    (old_time, old_days), (new_time, new_days) = (
        recurrence.time_and_weekdays(before),
        recurrence.time_and_weekdays(after),
    )
    parts = []
    if old_time != new_time:
        parts.append(f"Time: {old_time:%H:%M} → {new_time:%H:%M}")
    if old_days != new_days:
        parts.append(f"Weekdays: {_days(old_days)} → {_days(new_days)}")
    return parts


def _simple(cron: str | None) -> bool:
    """True for the 'minute hour * * days' rules the daily and weekly forms make."""
    fields = (cron or "").split()
    days_ok = len(fields) == 5 and (fields[4] == "*" or fields[4].replace(",", "").isdigit())
    return days_ok and fields[0].isdigit() and fields[1].isdigit() and fields[2] == fields[3] == "*"


def _days(weekdays: list[int]) -> str:
    """'every day' or 'Monday, Friday'."""
    return ", ".join(recurrence.WEEKDAYS[d] for d in weekdays) or "every day"


def readable(events: list[dict], names: dict[str, str], zone_name: str) -> list[dict]:
    """Events with the actor's name, the action in words and the change list."""
    return [
        {
            "at": event["at"],
            "action": ACTIONS.get(event["action"], event["action"]),
            "by": names.get(event["actor_id"], "a removed account") if event["actor_id"] else "system",
            "changes": changes(event["old_values"], event["new_values"], zone_name),
        }
        for event in events
    ]
