"""Recurrence rules: cron from simple forms, validation, next occurrences in a zone, human sentences, DST."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cron_descriptor import ExpressionDescriptor
from cron_descriptor.Exception import FormatException, MissingFieldException, WrongArgumentException
from croniter import croniter

from services.errors import UserError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Occurrence:
    """One firing: the UTC instant and the local wall-clock slot it stands for."""

    at: datetime
    slot: str
    shifted: bool = False  # the local time did not exist that day (spring forward)


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or a clear error naming it."""
    if not name or name not in _zone_names():
        raise UserError(f"Unknown time zone '{name}'. Use an IANA name such as Europe/London.", "timezone")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - guarded by the name check
        raise UserError(f"Unknown time zone '{name}'.", "timezone") from exc


@functools.cache
def _zone_names() -> frozenset[str]:
    """All IANA zone names, loaded once on first use."""
    return frozenset(available_timezones())


def zone_names_set() -> frozenset[str]:
    """All IANA zone names, for membership checks."""
    return _zone_names()


def zone_names() -> list[str]:
    """Sorted IANA zone names for pickers."""
    return sorted(_zone_names())


def cron_for(kind: str, at: time, weekdays: list[int] | None = None, custom: str | None = None) -> str:
    """The five-field cron rule for the once/daily/weekly/cron forms (weekdays: 0 = Monday)."""
    if kind == "daily":
        return f"{at.minute} {at.hour} * * *"
    if kind == "weekly":
        if not weekdays:
            raise UserError("Pick at least one weekday for a weekly message.", "weekdays")
        # cron counts Sunday as 0; our forms count Monday as 0.
        days = ",".join(str((d + 1) % 7) for d in sorted(set(weekdays)))
        return f"{at.minute} {at.hour} * * {days}"
    if kind == "cron":
        return validate_cron(custom or "")
    raise UserError(f"Unknown schedule kind '{kind}'.", "kind")


def validate_cron(expression: str) -> str:
    """Return the normalised rule or raise a message saying what is wrong with it."""
    text = " ".join((expression or "").split())
    if text.upper().startswith("CRON_TZ="):
        raise UserError("Leave out CRON_TZ=: pick the time zone in the form instead.", "cron")
    fields = text.split(" ") if text else []
    if len(fields) != 5:
        raise UserError(
            f"A cron rule has 5 fields (minute hour day-of-month month day-of-week); '{text}' has {len(fields)}.",
            "cron",
        )
    if not croniter.is_valid(text):
        raise UserError(f"'{text}' is not a valid cron rule.", "cron")
    try:
        croniter(text, datetime(2030, 1, 1, tzinfo=UTC)).get_next(datetime)
    except Exception as exc:  # croniter raises several types for impossible rules such as 30 Feb
        raise UserError(f"'{text}' never fires.", "cron") from exc
    return text


@functools.lru_cache(maxsize=4096)
def describe(cron: str) -> str:
    """A sentence for any rule, e.g. 'At 09:00, only on Monday' (cached: tables describe the same rules often)."""
    return ExpressionDescriptor(cron, use_24hour_time_format=True).get_description()


def describe_or_rule(cron: str) -> str:
    """The sentence, or the rule itself when cron-descriptor cannot read it (an odd stored rule breaks nothing)."""
    try:
        return describe(cron)
    except (FormatException, MissingFieldException, WrongArgumentException):
        return cron


def time_and_weekdays(cron: str | None) -> tuple[time, list[int]]:
    """The time of day and weekdays (0 = Monday; none = every day) of a daily or weekly rule made by cron_for."""
    minute, hour, _, _, days = (cron or "0 9 * * *").split()
    weekdays = [] if days == "*" else sorted((int(d) - 1) % 7 for d in days.split(","))
    return time(int(hour), int(minute)), weekdays


def local_to_utc(day: date, at: time, zone_name: str) -> datetime:
    """Convert a local wall-clock time to UTC, refusing a time that does not exist that day."""
    tz = zone(zone_name)
    naive = datetime.combine(day, at.replace(tzinfo=None, second=0, microsecond=0))
    local = naive.replace(tzinfo=tz)
    round_trip = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise UserError(
            f"{naive:%H:%M} does not exist on {day:%d %b %Y} in {zone_name}: the clocks skip that hour. "
            "Pick another time.",
            "send_at",
        )
    return local.astimezone(UTC)


def slot_of(at: datetime, zone_name: str) -> str:
    """The local wall-clock slot of an instant; both firings of a repeated hour share it."""
    return at.astimezone(zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


def next_occurrences(cron: str, zone_name: str, after: datetime, count: int = 5) -> list[Occurrence]:
    """The next `count` distinct local slots of the rule after `after`, keeping wall-clock time across DST."""
    return list(itertools.islice(_occurrences(cron, zone_name, after, count * 3 + 3), count))


def occurrences_between(cron: str, zone_name: str, after: datetime, until: datetime, limit: int) -> list[Occurrence]:
    """The distinct local slots of the rule in (after, until], at most `limit` of them (a calendar's window)."""
    found = []
    # No DST-shift check per send (a second croniter walk each): the calendar needs when, not whether it moved.
    for occurrence in _occurrences(cron, zone_name, after, limit * 3 + 3, check_shift=False):
        if occurrence.at > until or len(found) == limit:
            break
        found.append(occurrence)
    return found


def _occurrences(
    cron: str, zone_name: str, after: datetime, attempts: int, check_shift: bool = True
) -> Iterator[Occurrence]:
    """Distinct local slots of the rule after `after`, one at a time, from at most `attempts` cron steps."""
    tz = zone(zone_name)
    schedule = croniter(cron, after.astimezone(tz))
    seen: set[str] = set()
    for _ in range(attempts):
        at = schedule.get_next(datetime).astimezone(UTC)
        slot = slot_of(at, zone_name)
        if slot in seen:  # the repeated hour on a fall-back day fires once, not twice
            continue
        seen.add(slot)
        yield Occurrence(at=at, slot=slot, shifted=check_shift and not _matches(cron, at, tz))


def previous_slot(cron: str, zone_name: str, now: datetime, tolerance: timedelta = timedelta(minutes=2)) -> Occurrence:
    """The occurrence a firing at `now` stands for: the latest one at or before now (+ clock tolerance)."""
    tz = zone(zone_name)
    at = croniter(cron, (now + tolerance).astimezone(tz)).get_prev(datetime).astimezone(UTC)
    return Occurrence(at=at, slot=slot_of(at, zone_name), shifted=not _matches(cron, at, tz))


def _matches(cron: str, at: datetime, tz: ZoneInfo) -> bool:
    """True when the local wall time of `at` is one the rule names (False when DST moved it)."""
    local = at.astimezone(tz).replace(tzinfo=None)
    return croniter.match(cron, local)


def dst_gaps(cron: str, zone_name: str, after: datetime, days: int = 366) -> list[str]:
    """Local dates in the coming year when the rule's time does not exist (the send moves an hour)."""
    horizon = after + timedelta(days=days)
    gaps = []
    # Lazily: a rare rule (every Monday in February) must not compute 400 sends over decades.
    for occurrence in _occurrences(cron, zone_name, after, attempts=1203):
        if occurrence.at > horizon:
            break
        if occurrence.shifted:
            gaps.append(occurrence.slot[:10])
    return gaps
