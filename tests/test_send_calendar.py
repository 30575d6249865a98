"""The send calendar on SQLite and PostgreSQL: each send on the viewer's day, per zone group, with its recipients."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bench import schedules_fill
from services import recurrence, send_calendar
from services.db.schema import scheduled_messages
from services.domain import Actor
from services.send_calendar import CalendarService
from tests import factories


def recurring(store, owner, title, cron="0 9 * * *", **extra):
    """A recurring message of `owner` (daily at 09:00 in the coach's zone, to all clients, unless told)."""
    values = factories.once_values(store, owner, kind="daily", send_at=None, cron=cron, title=title, **extra)
    return store.messages.insert(owner.as_actor(), values)


@pytest.fixture
def casey(store):
    """Casey (New York) with clients in New York (one inactive), London and Tokyo; VIPs in New York and Tokyo."""
    coach = factories.coach(store)
    factories.clients(
        store,
        coach,
        [
            ("Ann", "America/New_York", ["vip"]),
            ("Ben", "America/New_York", []),
            ("Old", "America/New_York", ["vip"], False),
            ("Lea", "Europe/London", []),
            ("Kei", "Asia/Tokyo", ["vip"]),
        ],
    )
    return coach


def by_day(calendar) -> dict[date, list[tuple[str, str, str, int]]]:
    """Day → (UTC time, title, zone, recipients) of each send."""
    return {
        d.day: [(f"{s.at.astimezone(UTC):%Y-%m-%d %H:%M}", s.title, s.zone, s.recipients) for s in d.sends]
        for d in calendar.days
    }


def test_each_clients_zone_fires_per_zone_on_the_viewers_days(store, clock, casey):
    """It is Friday 15 Jan 2027, 07:00 in New York. A daily 09:00 message to everyone (New York time) and a
    daily 09:00 "each client's own zone" message to the VIPs: in New York's days, the VIP message appears twice a
    day (09:00 for Ann, 19:00 the evening before Tokyo's 09:00 for Kei); the inactive VIP is not counted."""
    recurring(store, casey, "Everyone")
    recurring(store, casey, "VIP", target="tag", target_tag="vip", zone_mode="client")
    calendar = CalendarService(store, clock).next_days(casey.as_actor(), "America/New_York")
    days = by_day(calendar)
    assert list(days) == [date(2027, 1, 15 + n) for n in range(14)]
    assert days[date(2027, 1, 15)] == [
        ("2027-01-15 14:00", "Everyone", "America/New_York", 4),
        ("2027-01-15 14:00", "VIP", "America/New_York", 1),
        ("2027-01-16 00:00", "VIP", "Asia/Tokyo", 1),
    ]
    assert all(len(sends) == 3 for sends in days.values())
    first = calendar.days[0]
    assert (first.messages, first.recipients) == (2, 6)
    # Seen from Tokyo, the same sends fall on Tokyo's days: Kei's 09:00 opens each day, the others follow at 23:00.
    tokyo = by_day(CalendarService(store, clock).next_days(casey.as_actor(), "Asia/Tokyo"))
    assert tokyo[date(2027, 1, 16)] == [
        ("2027-01-16 00:00", "VIP", "Asia/Tokyo", 1),
        ("2027-01-16 14:00", "Everyone", "America/New_York", 4),
        ("2027-01-16 14:00", "VIP", "America/New_York", 1),
    ]


def test_one_time_sends_ends_and_statuses(store, clock, casey):
    """A one-time send in each client's zone lands at each zone's 10:00; a rule ending after 3 sends, one ending on
    the 20th, a paused and a cancelled message, and a past one-time send are counted as they will really send."""
    kei, lea = (c for c in store.clients.list(casey.as_actor()) if c.name in ("Kei", "Lea"))
    once_at = datetime(2027, 1, 20, 15, 0, tzinfo=UTC)  # 10:00 in New York
    store.messages.insert(
        casey.as_actor(),
        factories.once_values(store, casey, title="Once", send_at=once_at, target="clients", zone_mode="client"),
        [kei.id, lea.id],
    )
    recurring(store, casey, "Three", max_occurrences=3)
    recurring(store, casey, "Until 20th", end_at=datetime(2027, 1, 20, 23, 0, tzinfo=UTC))
    recurring(store, casey, "Paused", status="paused")
    recurring(store, casey, "Cancelled", status="cancelled")
    store.messages.insert(casey.as_actor(), factories.once_values(store, casey, title="Past", minutes=-5))
    days = by_day(CalendarService(store, clock).next_days(casey.as_actor(), "America/New_York"))
    sends = [send for day in days.values() for send in day]
    assert {title for _, title, _, _ in sends} == {"Once", "Three", "Until 20th"}
    assert [s for s in sends if s[1] == "Once"] == [
        ("2027-01-20 01:00", "Once", "Asia/Tokyo", 1),  # 10:00 in Tokyo = 20:00 in New York on the 19th
        ("2027-01-20 10:00", "Once", "Europe/London", 1),
    ]
    assert [s[0][:10] for s in sends if s[1] == "Three"] == ["2027-01-15", "2027-01-16", "2027-01-17"]
    assert [s[0][:10] for s in sends if s[1] == "Until 20th"][-1] == "2027-01-20"


def test_scoping_coach_filter_and_a_rule_cut_short(store, clock, casey):
    """Morgan sees only her own sends; support sees both coaches', or one with the coach filter; a rule firing
    every minute is cut at MAX_PER_SERIES sends and named as cut short."""
    morgan = factories.coach(store, email="morgan@example.com", tz="Europe/London", name="Morgan")
    factories.clients(store, morgan, [("Mo", "Europe/London", [])])
    recurring(store, casey, "Casey's")
    recurring(store, morgan, "Morgan's", timezone="Europe/London", cron="* * * * *")
    support = Actor(factories.support(store).id, "support")
    service = CalendarService(store, clock)

    def titles(actor, **filters):
        calendar = service.next_days(actor, "UTC", **filters)
        return {s.title for d in calendar.days for s in d.sends}, calendar.cut_short

    assert titles(morgan.as_actor())[0] == {"Morgan's"}
    assert titles(support) == ({"Casey's", "Morgan's"}, ["Morgan's"])
    assert titles(support, coach_id=casey.id) == ({"Casey's"}, [])
    every_minute = service.next_days(support, "UTC", coach_id=morgan.id)
    assert sum(len(d.sends) for d in every_minute.days) == send_calendar.MAX_PER_SERIES


def _members(*entries: tuple[int, dict, int]) -> send_calendar.Members:
    """A group of (place in the read, row, recipients)."""
    group = send_calendar.Members()
    for order, row, recipients in entries:
        group.add(order, row, recipients)
    return group


def test_a_days_first_sends_are_the_earliest_built_alone_in_order_with_ties_as_read():
    """`first(n)` merges the parts' sends: the same n sends, in the same order, as sorting every send of the day
    by (time, title, zone) with ties in the order the messages were read; and `sends` is all of them. A part may
    be a group of messages firing together (one rule, one zone): its counts are the sum of its members'."""
    day = send_calendar.Day(date(2027, 1, 15))
    at = [datetime(2027, 1, 15, hour, minute, tzinfo=UTC) for hour in (9, 12, 18) for minute in (0, 30)]
    rows = [{"id": f"m{n}", "title": title, "coach_id": "c", "zone_mode": "coach"} for n, title in enumerate("BAACBA")]
    day.add(_members((0, rows[0], 3)), "UTC", at[::2])
    day.add(_members((1, rows[1], 1)), "Asia/Tokyo", at[1:4])
    # a group: same title and zone as rows[1], read after it, so after it at each shared time; rows[5] read last
    # but added first in the group: the group orders its members by title, then place in the read
    day.add(_members((5, rows[5], 6), (2, rows[2], 2)), "Asia/Tokyo", at[:])
    day.add(_members((3, rows[3], 5)), "Asia/Kolkata", [at[0], at[5]])  # the title orders it, not the zone
    day.add(_members((4, rows[4], 4)), "Europe/London", [at[0]])  # read after rows[0], same title: the zone first
    every = sorted(
        (instant, row["title"], zone, row["id"], order, recipients)
        for members, zone, instants in day.parts
        for order, row, recipients in members.entries
        for instant in instants
    )
    expected = [(instant, title, zone, message_id, n) for instant, title, zone, message_id, _, n in every]
    assert day.send_count == len(expected) == 21
    assert day.recipients == sum(n for *_, n in expected) == 3 * 3 + 1 * 3 + 8 * 6 + 5 * 2 + 4
    assert day.messages == 6
    for count in (0, 1, 6, 15, 21, 30):
        assert [(s.at, s.title, s.zone, s.message_id, s.recipients) for s in day.first(count)] == expected[:count]
    assert [(s.at, s.title, s.zone, s.message_id, s.recipients) for s in day.sends] == expected
    # 09:00: A in Tokyo (m2, then m5), B in London, B in UTC, C in Kolkata; 09:30: A in Tokyo: m1, m2, m5
    assert [(s.message_id, s.recipients) for s in day.first(8)] == [
        ("m2", 2),
        ("m5", 6),
        ("m4", 4),
        ("m0", 3),
        ("m3", 5),
        ("m1", 1),
        ("m2", 2),
        ("m5", 6),
    ]


def test_messages_with_no_end_sharing_a_rule_and_zone_count_as_their_sum(store, clock, casey):
    """Three messages with one daily rule and zone, and a fourth with the same rule but a maximum of one send:
    each day counts every member of the group, and the one with a maximum only on its single day."""
    for title in ("Daily A", "Daily B", "Daily C"):
        recurring(store, casey, title)
    capped = recurring(store, casey, "Capped")
    with store.engine.begin() as conn:
        conn.execute(scheduled_messages.update().where(scheduled_messages.c.id == capped.id).values(max_occurrences=1))
    calendar = CalendarService(store, clock).next_days(casey.as_actor(), "UTC")
    clients = sum(1 for c in store.clients.list(casey.as_actor()) if c.active)
    counted = [(day.send_count, day.messages, day.recipients) for day in calendar.days if day.send_count]
    assert counted[0] == (4, 4, 4 * clients)  # the capped message's one send is the group's first day
    assert counted[1:] == [(3, 3, 3 * clients)] * (len(counted) - 1)
    assert len(counted) >= send_calendar.DAYS - 1  # every day, but today when 09:00 in New York has passed


def test_every_scheduled_message_is_counted_however_many_there_are(store, clock):
    """13,200 messages, 5,500 of them still scheduled: every scheduled recurring message sends in the next 14
    days, so each is in some day's count (a read capped at 5,000 dropped the newest); paused ones are in none."""
    coach = factories.coach(store)
    schedules_fill.fill(store.engine, (coach.id,), clock(), 40, 13_200)
    with store.engine.connect() as conn:
        status = dict(conn.execute(select(scheduled_messages.c.id, scheduled_messages.c.status)).all())
        recurring = set(
            conn.scalars(
                select(scheduled_messages.c.id).where(
                    scheduled_messages.c.kind != "once", scheduled_messages.c.status == "scheduled"
                )
            )
        )
    calendar = CalendarService(store, clock).next_days(coach.as_actor(), "UTC")
    counted = set().union(*(day.message_ids for day in calendar.days))
    assert sum(1 for s in status.values() if s == "scheduled") == 5500
    assert len(recurring) == 3300
    assert recurring <= counted
    assert {status[m] for m in counted} == {"scheduled"}


@pytest.mark.parametrize(
    ("cron", "zone"),
    [("*/15 9-17 * * 1-5", "America/New_York"), ("0 9 * * *", "Asia/Tokyo"), ("30 8 * * 1", "Europe/London")],
)
def test_a_later_render_takes_the_rules_firings_from_the_walk_before(monkeypatch, cron, zone):
    """`Series` walks a rule once per window end: a later `after` gets exactly what a fresh walk gives, without a
    walk; an earlier `after`, or a walk cut at the limit, is walked again."""
    walks = []
    walk = recurrence.occurrences_between
    monkeypatch.setattr(recurrence, "occurrences_between", lambda *args: walks.append(args) or walk(*args))
    series = send_calendar.Series()
    start = datetime(2027, 1, 11, 8, 7, tzinfo=UTC)
    until = start + timedelta(days=14)
    for minutes in (0, 1, 60, 61 * 7, 60 * 24 * 3 + 5, 60 * 24 * 13):
        after = start + timedelta(minutes=minutes)
        assert series.between(cron, zone, after, until, 2001) == walk(cron, zone, after, until, 2001)
    assert len(walks) == 1
    series.between(cron, zone, start - timedelta(minutes=1), until, 2001)
    assert len(walks) == 2
    # a smaller limit is served from the whole walk kept, as a fresh walk would give it
    assert series.between(cron, zone, start + timedelta(minutes=1), until, 2) == walk(
        cron, zone, start + timedelta(minutes=1), until, 2
    )
    assert len(walks) == 2
    fresh = send_calendar.Series()
    cut = fresh.between(cron, zone, start, until, 2)
    assert cut == walk(cron, zone, start, until, 2)
    assert len(cut) == 2  # as many as the limit: perhaps more after them, so not kept
    fresh.between(cron, zone, start + timedelta(minutes=1), until, 2)
    assert len(walks) == 4
    series.MAX_KEPT = len(cut)  # over the bound: everything kept is dropped, and the next read walks again
    series.between(cron, zone, start, until + timedelta(days=1), 2001)
    series.between(cron, zone, start, until, 2001)
    assert len(walks) == 6
