"""Quiet hours and the daily cap on the fan-out path, over the real store (SQLite and PostgreSQL): held sends re-fire
once through their own QStash publish, skipped ones record why, and two schedules racing for the last place of a
client's day send exactly the cap."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from services.db.schema import deliveries
from services.delivery import DeliveryService
from services.errors import SchedulerUnavailable
from services.pacing import Pacer
from services.send_gate import SendGate
from services.send_rules import SendRules
from tests import factories
from tests.fakes import RecordingScheduler
from tests.webhook.test_fanout_rules import RecordingChat

NIGHT = SendRules(time(21), time(8))  # the clock starts at 12:00 UTC: 07:00 New York, 12:00 London, 21:00 Tokyo


@pytest.fixture
def chat():
    return RecordingChat()


@pytest.fixture
def scheduler():
    return RecordingScheduler()


@pytest.fixture
def delivery(store, chat, clock, scheduler):
    gate = SendGate(store, scheduler, clock)
    return DeliveryService(store, chat, Pacer(0), clock, on_finished=lambda m: None, concurrency=4, gate=gate)


def _once(store, coach, **extra):
    return store.messages.insert(coach.as_actor(), factories.once_values(store, coach, **extra))


def _fire(delivery, message, qstash_id="msg_1", retried=0):
    return delivery.fire({"messageId": message.id, "coachId": message.coach_id}, qstash_id, retried)


def _rows(store, message) -> dict[str, tuple]:
    """client id -> (status, last_error) of the message's deliveries."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(deliveries.c.client_id, deliveries.c.status, deliveries.c.last_error).where(
                deliveries.c.message_id == message.id
            )
        )
        return {r.client_id: (r.status, r.last_error) for r in rows}


def _received(chat) -> list[str]:
    return sorted(m.client.name for m in chat.sent)


def test_held_sends_wait_for_each_zones_morning_and_go_exactly_once(store, delivery, chat, coach, people, scheduler):
    ann, _ben, cy = people
    store.send_rules.put(coach.id, NIGHT)
    message = _once(store, coach)

    answer = _fire(delivery, message)

    assert answer.status == 200  # nothing for QStash to retry: the held sends have their own publishes
    assert (answer.body["sent"], answer.body["held"], answer.body["pending"]) == (1, 2, 0)
    assert _received(chat) == ["Ben Birch"]
    rows = _rows(store, message)
    assert rows[ann.id] == ("pending", "held for quiet hours until Fri 08:00 (America/New_York)")
    assert rows[cy.id] == ("pending", "held for quiet hours until Sat 08:00 (Asia/Tokyo)")
    held = sorted(scheduler.held, key=lambda h: h[1])
    assert [(body["clients"], not_before) for body, not_before, _ in held] == [
        ([ann.id], int(datetime(2027, 1, 15, 13, 0, 1, tzinfo=UTC).timestamp())),  # a second after 08:00 there
        ([cy.id], int(datetime(2027, 1, 15, 23, 0, 1, tzinfo=UTC).timestamp())),
    ]
    assert store.messages.get(coach.as_actor(), message.id).status == "scheduled"  # not over while sends wait

    assert _fire(delivery, message, retried=1).status == 200  # QStash retries the firing: nothing new
    assert len(scheduler.held) == 2
    assert _received(chat) == ["Ben Birch"]

    store.clock.now = datetime.fromtimestamp(held[0][1], UTC)  # QStash delivers it: 08:00:01 in New York
    assert delivery.fire_chunk(held[0][0], "msg_held_1", 0).status == 200
    assert delivery.fire_chunk(held[0][0], "msg_held_1", 1).status == 200  # its retry sends nothing again
    assert _received(chat) == ["Ann Apple", "Ben Birch"]

    store.clock.now = datetime.fromtimestamp(held[1][1], UTC)  # 08:00:01 in Tokyo
    assert delivery.fire_chunk(held[1][0], "msg_held_2", 0).status == 200
    assert _received(chat) == ["Ann Apple", "Ben Birch", "Cy Cedar"]
    assert {status for status, _ in _rows(store, message).values()} == {"sent"}
    assert store.messages.get(coach.as_actor(), message.id).status == "completed"


def test_a_held_group_that_fires_early_is_held_again_under_the_same_deduplication_id(
    store, delivery, chat, coach, people, scheduler
):
    store.send_rules.put(coach.id, NIGHT)
    message = _once(store, coach)
    _fire(delivery, message)
    new_york = min(scheduler.held, key=lambda h: h[1])

    store.clock.advance(minutes=30)  # still 07:30 in New York: the lease keeps the row; nothing is sent or re-held
    assert delivery.fire_chunk(new_york[0], "msg_early", 0).status == 200
    assert _received(chat) == ["Ben Birch"]
    assert len(scheduler.held) == 2


def test_a_crash_between_publish_and_hold_republishes_with_the_same_deduplication_id(
    store, delivery, chat, coach, people, scheduler, monkeypatch
):
    store.send_rules.put(coach.id, NIGHT)
    message = _once(store, coach)
    real_hold = store.send_rules.hold
    calls = []

    def crash_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("killed after the publish")
        return real_hold(*args)

    monkeypatch.setattr(store.send_rules, "hold", crash_once)
    with pytest.raises(RuntimeError):
        _fire(delivery, message)
    monkeypatch.setattr(store.send_rules, "hold", real_hold)
    store.clock.advance(seconds=61)  # the crashed attempt's lease has run out
    assert _fire(delivery, message, retried=1).status == 200

    by_clients: dict[tuple, set[str]] = {}
    for body, _, dedup in scheduler.held:
        by_clients.setdefault(tuple(body["clients"]), set()).add(dedup)
    # The first group was published twice (before and after the crash) under one id: QStash keeps one.
    assert len(scheduler.held) == 3
    assert sorted(len(ids) for ids in by_clients.values()) == [1, 1]
    assert _received(chat) == ["Ben Birch"]


def test_an_unavailable_qstash_leaves_held_sends_pending_for_the_firings_retry(
    store, delivery, chat, coach, people, scheduler, monkeypatch
):
    store.send_rules.put(coach.id, NIGHT)
    message = _once(store, coach)

    def refuse(*args):
        raise SchedulerUnavailable("QStash is down")

    monkeypatch.setattr(scheduler, "publish_held", refuse)
    answer = _fire(delivery, message)
    assert answer.status == 503
    assert answer.body["pending"] == 2
    monkeypatch.undo()

    assert _fire(delivery, message, retried=1).status == 200
    assert len(scheduler.held) == 2
    assert _received(chat) == ["Ben Birch"]


def test_skip_during_quiet_hours_records_the_reason(store, delivery, chat, coach, people, scheduler):
    ann, _ben, cy = people
    store.send_rules.put(coach.id, NIGHT)
    message = _once(store, coach, quiet_action="skip")

    answer = _fire(delivery, message)

    assert answer.status == 200
    assert answer.body["skipped"] == 2
    assert _received(chat) == ["Ben Birch"]
    assert scheduler.held == []
    rows = _rows(store, message)
    assert rows[ann.id] == rows[cy.id] == ("skipped", "quiet hours")
    assert store.messages.get(coach.as_actor(), message.id).status == "completed"


def test_sends_over_the_daily_cap_are_skipped_with_the_reason(store, delivery, chat, coach, scheduler):
    (ben,) = factories.clients(store, coach, [("Ben Birch", "Europe/London", [])])
    store.send_rules.put(coach.id, SendRules(daily_cap=2))
    messages = [_once(store, coach, title=f"m{i}") for i in range(3)]

    for i, message in enumerate(messages):
        assert _fire(delivery, message, qstash_id=f"msg_{i}").status == 200
    assert _fire(delivery, messages[0], qstash_id="msg_0", retried=1).status == 200  # a retry counts nothing

    assert [_rows(store, m)[ben.id] for m in messages] == [
        ("sent", None),
        ("sent", None),
        ("skipped", "frequency cap: 2 a day"),
    ]
    assert store.send_rules.sent_on(ben.id, "2027-01-15") == 2

    store.clock.advance(days=1)  # a new day in London: two more places
    tomorrow = _once(store, coach, title="tomorrow")
    assert _fire(delivery, tomorrow, qstash_id="msg_t").body["sent"] == 1


@pytest.mark.parametrize("rounds", [4])
def test_two_schedules_firing_in_the_same_minute_send_exactly_the_cap(store, chat, clock, coach, scheduler, rounds):
    people = factories.clients(store, coach, [(f"Client {i}", "Europe/London", []) for i in range(6)])
    store.send_rules.put(coach.id, SendRules(daily_cap=1))
    for day in range(rounds):
        messages = [_once(store, coach, title=f"day {day} #{n}") for n in range(2)]
        barrier = threading.Barrier(2)
        answers = []

        def fire(message, n, day=day, barrier=barrier, answers=answers):
            # Two webhook instances: each its own DeliveryService over the shared store.
            service = DeliveryService(
                store, chat, Pacer(0), clock, on_finished=lambda m: None, gate=SendGate(store, scheduler, clock)
            )
            barrier.wait()
            answers.append(_fire(service, message, qstash_id=f"msg_{day}_{n}"))

        threads = [threading.Thread(target=fire, args=(m, n)) for n, m in enumerate(messages)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert [a.status for a in answers] == [200, 200]
        today = [m for m in chat.sent if any(m.message_id.startswith(x.id) for x in messages)]
        assert sorted(m.client.name for m in today) == sorted(c.name for c in people)  # one each, not two
        assert sum(a.body["sent"] for a in answers) == len(people)
        assert sum(a.body["skipped"] for a in answers) == len(people)
        clock.advance(days=1)


def test_nudges_are_held_back_in_quiet_hours_and_once_the_cap_is_reached(store, clock, coach, people, scheduler):
    ann, ben, _cy = people
    gate = SendGate(store, scheduler, clock)
    assert gate.nudge_check(ann, clock()) is None  # no rules set: nothing held back
    store.send_rules.put(coach.id, SendRules(time(21), time(8), daily_cap=1))
    assert gate.nudge_check(ann, clock()) == "quiet hours"
    assert gate.nudge_check(ben, clock()) is None
    store.send_rules.take_places([("d1", ben.id, "2027-01-15")], 1, "cap")
    assert gate.nudge_check(ben, clock()) == "frequency cap: 1 a day"
