"""Lateness: how long after its scheduled time a recipient's message went out, and percentiles of it."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from services import recurrence
from services.qstash.registrar import same_wall_clock


def scheduled_at(kind: str, send_at: datetime | None, timezone: str, slot: str, zone: str | None) -> datetime:
    """The instant an occurrence was due: a one-time send's wall-clock time in its zone group, else its slot."""
    zone = zone or timezone
    if kind == "once":
        return same_wall_clock(send_at, timezone, zone)
    local = datetime.strptime(slot, "%Y-%m-%dT%H:%M")  # the slot is local wall-clock time in the zone group
    return local.replace(tzinfo=recurrence.zone(zone)).astimezone(UTC)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (share 0.95 = p95) of the values, or None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
