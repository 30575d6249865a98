"""The Schedules page's calendar: every send of the next days, per day of the viewer's zone, with recipient counts.

A message in "each client's own zone" fires once per client zone, at that zone's wall-clock time, so it appears
once per zone group, on whatever day of the viewer's zone that instant falls. Cost: three grouped queries, then
one croniter walk per distinct (rule, zone) pair, at most MAX_PER_SERIES steps, however many messages share it;
the messages with no end that share a rule and a zone are counted into each day as one group.
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
from services.recurrence import Occurrence
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


class Series:
    """The firings of each rule in each zone up to a window's end, kept across renders: a walk depends only on the
    rule, the zone and the end, so a later render takes the firings after its own now from the walk before instead
    of stepping croniter again (~1,500 steps a render at 10,000 messages). Shared by every session of a process
    (a new day or viewer zone is a new end, so the walks of past windows are dropped with the rest at MAX_KEPT)."""

    MAX_KEPT = 100_000  # firings kept in all (a few MB); past it every walk is dropped and walked again when asked

    def __init__(self) -> None:
        self._walks: dict[tuple[str, str, datetime], tuple[datetime, list[Occurrence]]] = {}
        self._kept = 0

    def between(self, cron: str, zone: str, after: datetime, until: datetime, limit: int) -> list[Occurrence]:
        """The rule's distinct local slots in (after, until], at most `limit` (recurrence.occurrences_between)."""
        key = (cron, zone, until)
        walked = self._walks.get(key)
        if walked is not None and walked[0] <= after:
            return [occurrence for occurrence in walked[1] if occurrence.at > after][:limit]
        found = recurrence.occurrences_between(cron, zone, after, until, limit)
        # Only a walk that reached `until` holds every later firing: one cut at `limit` is not kept.
        if len(found) < limit:
            if walked is not None:
                self._kept -= len(walked[1])
            if self._kept + len(found) > self.MAX_KEPT:
                self.clear()
            self._walks[key] = (after, found)
            self._kept += len(found)
        return found

    def clear(self) -> None:
        """Forget every walk."""
        self._walks.clear()
        self._kept = 0


class Members:
    """Messages that fire together, at the same instants to one zone group: one message, or every message with
    no end sharing a rule and a zone (10,000 messages hold a few dozen such groups, counted once a day each)."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, dict, int]] = []  # (place in the read, row, recipients)
        self.ids: set[str] = set()
        self.recipients = 0

    def add(self, order: int, row: dict, recipients: int) -> None:
        """One more message of the group, reaching `recipients` clients of the zone at each of its sends."""
        self.entries.append((order, row, recipients))
        self.ids.add(row["id"])
        self.recipients += recipients

    @cached_property
    def ordered(self) -> list[tuple[str, int, dict, int]]:
        """(title, place, row, recipients) by title, then place: the order of sends at one instant."""
        return sorted((row["title"], order, row, recipients) for order, row, recipients in self.entries)


@dataclass
class Day:
    """One day of the viewer's zone: its counts, and its sends (earliest first), built only when asked for."""

    day: date
    send_count: int = 0
    recipients: int = 0  # over every send of the day (a client reached twice counts twice)
    parts: list[tuple[Members, str, list[datetime]]] = field(default_factory=list, repr=False)

    @property
    def messages(self) -> int:
        """Distinct messages sending that day."""
        return len(self.message_ids)

    @cached_property
    def message_ids(self) -> set[str]:
        """The ids of the messages sending that day (one message may send to several zone groups)."""
        return set().union(*(members.ids for members, _, _ in self.parts))

    def add(self, members: Members, zone: str, instants: list[datetime]) -> None:
        """Count a group's firings that day to one zone (the sends are built only if the day is shown)."""
        self.send_count += len(instants) * len(members.entries)
        self.recipients += len(instants) * members.recipients
        self.parts.append((members, zone, instants))

    @cached_property
    def sends(self) -> list[Send]:
        """Every send of the day, earliest first."""
        return self.first(self.send_count)

    def first(self, count: int) -> list[Send]:
        """The day's first `count` sends, earliest first, building only those: a busy day has ~100,000 and the
        page lists 1,000. Each part's sends are already in order, so a k-way merge of the parts is enough."""
        ordered = heapq.merge(*(_keyed(*part) for part in self.parts))
        return [
            Send(at, row["id"], title, row["coach_id"], zone, row["zone_mode"] == "client", recipients)
            for at, title, zone, _, row, recipients in itertools.islice(ordered, count)
        ]


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
        self.series = Series()

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
        cut: list[tuple[int, str]] = []
        audiences = self.store.calendar.audiences(actor, coach_id)
        for members, zone in _firing_groups(self.store.calendar.scheduled(actor, coach_id), audiences):
            times, was_cut = _times(members.entries[0][1], zone, now, end, self.series)
            if was_cut:
                cut += ((order, row["title"]) for order, row, _ in members.entries)
            for index, instants in _by_day(times, viewer, today).items():
                calendar.days[index].add(members, zone, instants)
        calendar.cut_short = list(dict.fromkeys(title for _, title in sorted(cut)))
        return calendar


def _firing_groups(rows: list[dict], audiences: dict[tuple, dict[str, int]]) -> Iterator[tuple[Members, str]]:
    """The messages as groups that fire together, each with its zone: every message with no end sharing a rule and
    a zone is one group (yielded once all rows are in); any other message is a group of its own."""
    shared: dict[tuple[str, str], Members] = {}
    for order, row in enumerate(rows):
        for zone, recipients in _groups(row, audiences).items():
            if _unbounded(row):
                key = (row["cron"], zone)
                if key not in shared:
                    shared[key] = Members()
                shared[key].add(order, row, recipients)
            else:  # one-time, or with an end or a maximum: its own firings
                single = Members()
                single.add(order, row, recipients)
                yield single, zone
    for (_, zone), members in shared.items():
        yield members, zone


def _keyed(
    members: Members, zone: str, instants: list[datetime]
) -> Iterator[tuple[datetime, str, str, int, dict, int]]:
    """A part's sends as merge keys, in order: (instant, title, zone, place in the read, row, recipients).

    The first four are unique (a message is in one group per zone), so rows are never compared."""
    ordered = members.ordered
    return ((at, title, zone, order, row, recipients) for at in instants for title, order, row, recipients in ordered)


def _by_day(times: list[datetime], viewer, today: date) -> dict[int, list[datetime]]:
    """Day index (0 = today in the viewer's zone) → the instants that fall on it."""
    found: dict[int, list[datetime]] = {}
    for at in times:
        found.setdefault((at.astimezone(viewer).date() - today).days, []).append(at)
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


def _times(row: dict, zone: str, now: datetime, end: datetime, series: Series) -> tuple[list[datetime], bool]:
    """The instants the message fires in one zone group within (now, end), and whether the list was cut short."""
    if row["kind"] == "once":
        at = same_wall_clock(row["send_at"], row["timezone"], zone)
        return ([at] if now < at < end else []), False
    found = series.between(row["cron"], zone, now, end, MAX_PER_SERIES + 1)
    cut = len(found) > MAX_PER_SERIES
    times = [o.at for o in found[:MAX_PER_SERIES] if o.at < end and (row["end_at"] is None or o.at <= row["end_at"])]
    if row["max_occurrences"] is not None:
        times = times[: max(0, row["max_occurrences"] - row["occurrences"])]
    return times, cut
