"""The Schedules page's calendar: every send of the next days, per day of the viewer's zone, with recipient counts.

A message in "each client's own zone" fires once per client zone, at that zone's wall-clock time, so it appears
once per zone group, on whatever day of the viewer's zone that instant falls. Cost: three grouped queries, then
one croniter walk per distinct (rule, zone) pair, at most MAX_PER_SERIES steps, however many messages share it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from services import directory, recurrence
from services.domain import Actor
from services.qstash.registrar import same_wall_clock
from services.store import Store
from services.store.base import Clock

DAYS = 14
MAX_PER_SERIES = 2000  # sends of one rule in one zone within the window; a rule firing more often is cut short


@dataclass(frozen=True)
class Send:
    """One firing: a message reaching `recipients` active clients of one zone group at one instant (UTC)."""

    at: datetime
    message_id: str
    title: str
    coach_id: str
    zone: str
    each_client: bool  # fires in each client's own zone (zone = that group's zone)
    recipients: int


@dataclass
class Day:
    """One day of the viewer's zone: its counts, and its sends (earliest first), built only when asked for."""

    day: date
    send_count: int = 0
    recipients: int = 0  # over every send of the day (a client reached twice counts twice)
    message_ids: set[str] = field(default_factory=set)
    parts: list[tuple[dict, str, int, list[datetime]]] = field(default_factory=list, repr=False)

    @property
    def messages(self) -> int:
        """Distinct messages sending that day."""
        return len(self.message_ids)

    def add(self, row: dict, zone: str, recipients: int, instants: list[datetime]) -> None:
        """Count one message's firings that day to one zone group (the sends are built only if the day is shown)."""
        self.send_count += len(instants)
        self.recipients += len(instants) * recipients
        self.message_ids.add(row["id"])
        self.parts.append((row, zone, recipients, instants))

    @cached_property
    def sends(self) -> list[Send]:
        """Every send of the day, earliest first."""
        return self.first(self.send_count)

    def first(self, count: int) -> list[Send]:
        """The day's first `count` sends, earliest first, building only those: a busy day has ~100,000 and the
        page lists 1,000. Each part's instants are already in order, so a k-way merge of the parts is enough."""
        # the part's index breaks ties as the order of adding did, and keeps rows out of the comparison
        ordered = heapq.merge(*(_keyed(index, part) for index, part in enumerate(self.parts)))
        return [_send(self.parts[index], at) for at, _, _, index in itertools.islice(ordered, count)]


@dataclass
class Calendar:
    """The days of the window, and the titles of rules cut short at MAX_PER_SERIES."""

    days: list[Day]
    cut_short: list[str]


class CalendarService:
    """Works out the coming sends of the messages an actor may see."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    def coach_names(self, actor: Actor) -> dict[str, str] | None:
        """Coach names for support's rows; None for a coach."""
        return directory.coach_names(self.store, actor)

    def next_days(
        self,
        actor: Actor,
        zone_name: str,
        coach_id: str | None = None,
        days: int = DAYS,
    ) -> Calendar:
        """Each day from today to `days` - 1 days ahead in the viewer's zone, with its counts; a day's sends are
        built only when read, so thousands of schedules firing many times a day stay cheap to count."""
        viewer = recurrence.zone(zone_name)
        now = self.clock()
        today = now.astimezone(viewer).date()
        end = datetime.combine(today + timedelta(days=days), time(0), viewer)
        calendar = Calendar([Day(today + timedelta(days=n)) for n in range(days)], [])
        audiences = self.store.calendar.audiences(actor, coach_id)
        walk = _Walk(now, end, viewer, today)
        for row in self.store.calendar.scheduled(actor, coach_id):
            for zone, recipients in _groups(row, audiences).items():
                times, cut = walk.times(row, zone)
                if cut and row["title"] not in calendar.cut_short:
                    calendar.cut_short.append(row["title"])
                for index, instants in walk.by_day(row, zone, times).items():
                    calendar.days[index].add(row, zone, recipients, instants)
        return calendar


def _keyed(index: int, part: tuple[dict, str, int, list[datetime]]) -> Iterator[tuple[datetime, str, str, int]]:
    """A part's instants as merge keys: (instant, title, zone, part index), in order."""
    row, zone, _, instants = part
    return ((at, row["title"], zone, index) for at in instants)


def _send(part: tuple[dict, str, int, list[datetime]], at: datetime) -> Send:
    """The message's send at one instant to one zone group."""
    row, zone, recipients, _ = part
    return Send(at, row["id"], row["title"], row["coach_id"], zone, row["zone_mode"] == "client", recipients)


class _Walk:
    """The window's firings: one croniter walk per distinct (rule, zone), bucketed by the viewer's day once."""

    def __init__(self, now: datetime, end: datetime, viewer, today: date):
        self.now, self.end, self.viewer, self.today = now, end, viewer, today
        self.series: dict[tuple[str, str], list[recurrence.Occurrence]] = {}
        self.buckets: dict[tuple[str, str], dict[int, list[datetime]]] = {}
        self.unbounded: dict[tuple[str, str], tuple[list[datetime], bool]] = {}

    def times(self, row: dict, zone: str) -> tuple[list[datetime], bool]:
        """The instants the message fires in one zone group within (now, end), and whether the list was cut."""
        if not _unbounded(row):
            return _times(row, zone, self.now, self.end, self.series)
        key = (row["cron"], zone)
        if key not in self.unbounded:  # the same list for every message with no end and no maximum
            self.unbounded[key] = _times(row, zone, self.now, self.end, self.series)
        return self.unbounded[key]

    def by_day(self, row: dict, zone: str, times: list[datetime]) -> dict[int, list[datetime]]:
        """Day index → the message's instants that day; shared by every unbounded message with its rule and zone."""
        key = (row["cron"], zone)
        unbounded = _unbounded(row)
        if unbounded and key in self.buckets:
            return self.buckets[key]
        found: dict[int, list[datetime]] = {}
        for at in times:
            found.setdefault((at.astimezone(self.viewer).date() - self.today).days, []).append(at)
        if unbounded:
            self.buckets[key] = found
        return found


def _unbounded(row: dict) -> bool:
    """A recurring message with no end date and no maximum: its firings are its rule's, shared with its peers."""
    return row["kind"] != "once" and row["end_at"] is None and row["max_occurrences"] is None


def _groups(row: dict, audiences: dict[tuple, dict[str, int]]) -> dict[str, int]:
    """Zone group → active recipients: the message's zone with everyone, or each client zone with its own."""
    if row["target"] == "all":
        prefix = ("all", row["coach_id"])
    elif row["target"] == "tag":
        prefix = ("tag", row["coach_id"], row["target_tag"])
    else:
        prefix = ("clients", row["id"])
    per_zone = audiences.get(prefix, {})
    if row["zone_mode"] == "client":
        return per_zone
    total = sum(per_zone.values())
    return {row["timezone"]: total} if total else {}


def _times(row: dict, zone: str, now: datetime, end: datetime, series: dict) -> tuple[list[datetime], bool]:
    """The instants the message fires in one zone group within (now, end), and whether the list was cut short."""
    if row["kind"] == "once":
        at = same_wall_clock(row["send_at"], row["timezone"], zone)
        return ([at] if now < at < end else []), False
    key = (row["cron"], zone)
    if key not in series:  # shared by every message with the same rule in the same zone
        series[key] = recurrence.occurrences_between(row["cron"], zone, now, end, MAX_PER_SERIES + 1)
    found = series[key]
    cut = len(found) > MAX_PER_SERIES
    times = [o.at for o in found[:MAX_PER_SERIES] if o.at < end and (row["end_at"] is None or o.at <= row["end_at"])]
    if row["max_occurrences"] is not None:
        times = times[: max(0, row["max_occurrences"] - row["occurrences"])]
    return times, cut
