"""A coach's quiet hours and daily cap, worked out in each client's own time zone (DST-safe through zoneinfo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from services import recurrence

QUIET_ACTIONS = {"hold": "Hold until they end", "skip": "Skip them"}
QUIET_SKIPPED = "quiet hours"


@dataclass(frozen=True)
class SendRules:
    """Quiet hours (local wall-clock start and end; None: none) and the most scheduled sends per local day."""

    quiet_start: time | None = None
    quiet_end: time | None = None
    daily_cap: int | None = None

    def quiet_until(self, zone: str, now: datetime) -> datetime | None:
        """The UTC instant the quiet hours around `now` end in this zone, or None when `now` is not in them."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return None
        tz = recurrence.zone(zone)
        local = now.astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        start, end = self.quiet_start, self.quiet_end
        inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
        if not inside:
            return None
        day = local.date() if clock < end else local.date() + timedelta(days=1)
        # Wall-clock end on that day; the zone's offset on that day (not today's) decides the UTC instant.
        return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)

    def cap_reason(self) -> str:
        """What a delivery over the cap records."""
        return f"frequency cap: {self.daily_cap} a day"


def local_day(zone: str, now: datetime) -> str:
    """The client's calendar day at `now` (the cap's counting unit), as YYYY-MM-DD."""
    return now.astimezone(recurrence.zone(zone)).date().isoformat()


def parse_clock(text: str | None) -> time | None:
    """'21:00' as a time (None for None)."""
    return None if text is None else time.fromisoformat(text)


def held_reason(until: datetime, zone: str) -> str:
    """What a held delivery records: when the client's quiet hours end, in their zone."""
    return f"held for quiet hours until {until.astimezone(recurrence.zone(zone)):%a %H:%M} ({zone})"
