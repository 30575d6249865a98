"""Hardening, scheduling and editing (items 1–4): stale edits, drift of one-time sends, retries in each client's
zone, and authorization inside the services. Real store, real local QStash, real webhook (the `product`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest

from services.compose import ScheduleRequest
from services.drift import Drift
from services.errors import Conflict, Forbidden, NotFound
from tests import factories
from tests.e2e.conftest import coach_and_clients
from tests.harness import wait_until


def _tomorrow(account) -> datetime:
    """Tomorrow's date in the coach's zone (any one-time send must be ahead)."""
    return (datetime.now(UTC) + timedelta(days=1)).date()


def test_1_a_stale_edit_does_not_unschedule_the_winner(product):
    """Editor 1 saves version 1 → 2; editor 2 saves from the stale form: 'changed by someone else', and QStash
    keeps exactly version 2's firing."""
    coach, _ = coach_and_clients(product.store)
    schedules, qstash = product.services.schedules, product.services.scheduler.client
    account = product.store.accounts.get(coach.id)
    day = _tomorrow(account)
    first = schedules.create(account, ScheduleRequest(body="v1", send_date=day, send_time=time(9)))
    winner = schedules.edit(account, first.id, ScheduleRequest(body="v2", send_date=day, send_time=time(10)), 1)
    with pytest.raises(Conflict, match="changed by someone else"):
        schedules.edit(account, first.id, ScheduleRequest(body="stale", send_date=day, send_time=time(11)), 1)
    stored = product.store.messages.get(coach.as_actor(), first.id)
    assert (stored.version, stored.status, stored.body) == (2, "scheduled", "v2")
    assert product.services.scheduler.message_pending(winner.qstash_id)
    assert qstash.message.get(winner.qstash_id).not_before == int(winner.send_at.timestamp()) * 1000
    assert schedules.links(first.id) == {account.timezone: winner.qstash_id}


def test_1_five_concurrent_editors_leave_exactly_the_winners_schedule(product):
    """Five editors save the same daily message from version 1 at once: one wins, four get a conflict, and
    QStash holds the winner's rule — never a 'scheduled' message with nothing in QStash."""
    coach, _ = coach_and_clients(product.store)
    schedules, qstash = product.services.schedules, product.services.scheduler.client
    account = product.store.accounts.get(coach.id)
    for trial in range(3):
        message = schedules.create(account, ScheduleRequest(body=f"t{trial}", kind="daily", send_time=time(8)))
        outcomes = _edit_at_once(schedules, account, message.id, hours=range(10, 15))
        assert sum(isinstance(o, Conflict) for o in outcomes) == 4
        stored = product.store.messages.get(coach.as_actor(), message.id)
        [schedule_id] = schedules.links(message.id).values()
        held = qstash.schedule.get(schedule_id)
        assert stored.status == "scheduled"
        assert held.cron == f"CRON_TZ={account.timezone} {stored.cron}"
        assert not held.paused


def _edit_at_once(schedules, account, message_id: str, hours) -> list:
    """Save one edit per hour from version 1, all released at the same moment; returns messages or conflicts."""
    outcomes, barrier = [], threading.Barrier(len(hours))

    def edit(hour: int) -> None:
        barrier.wait()
        request = ScheduleRequest(body=f"at {hour}", kind="daily", send_time=time(hour))
        try:
            outcomes.append(schedules.edit(account, message_id, request, 1))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=edit, args=(hour,)) for hour in hours]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_2_drift_finds_and_repairs_a_lost_one_time_send(product):
    """A scheduled one-time message whose QStash message vanished is reported and Repair publishes it again."""
    coach, _ = coach_and_clients(product.store)
    schedules, scheduler = product.services.schedules, product.services.scheduler
    account = product.store.accounts.get(coach.id)
    message = schedules.create(account, ScheduleRequest(body="later", send_date=_tomorrow(account), send_time=time(9)))
    assert schedules.drift(coach.as_actor()) == []
    scheduler.client.message.cancel(message.qstash_id)  # lost behind our back
    [drift] = schedules.drift(coach.as_actor())
    assert (drift.message_id, drift.qstash_id, drift.problem) == (
        message.id,
        message.qstash_id,
        "one-time send missing in QStash",
    )
    schedules.repair_drift(coach.as_actor(), drift)
    [new_id] = schedules.links(message.id).values()
    assert new_id != message.qstash_id
    assert scheduler.message_pending(new_id)
    assert schedules.drift(coach.as_actor()) == []


def test_3_support_retry_reaches_a_client_in_their_own_zone(product):
    """A failed delivery of an 'each client's own zone' message to a Tokyo client is retried by support: the
    retry fires in Tokyo's zone group and the client gets the message (it never stays pending)."""
    coach, people = coach_and_clients(product.store)
    tokyo = next(p for p in people if p.timezone == "Asia/Tokyo")
    staff = factories.support(product.store)
    account = product.store.accounts.get(coach.id)
    message = product.services.schedules.create(
        account, ScheduleRequest(body="Hi {first_name}", kind="daily", send_time=time(6, 1), zone_mode="client")
    )
    slot = "2027-01-01T06:01"
    product.store.deliveries.ensure_rows(message.id, coach.id, slot, [tokyo.id], {})
    [row], _ = product.store.log.page(staff.as_actor(), message_id=message.id)
    product.store.deliveries.mark_failed(row["id"], "chat refused", permanent=True)
    assert product.services.delivery_log.retry_failed(staff.as_actor(), [row["id"]]) == 1
    wait_until(lambda: product.store.log.page(staff.as_actor(), message_id=message.id)[0][0]["status"] == "sent")
    [received] = product.store.inbox.list(coach.as_actor(), client_id=tokyo.id)
    assert received["text"] == "Hi Cy"


def test_4_a_coach_cannot_repair_or_remove_what_is_not_theirs(product):
    """Coach A asks to repair coach B's schedule, or to delete a schedule of nobody: both refused, nothing changes."""
    a = factories.coach(product.store, "a@example.com")
    b, _ = coach_and_clients(product.store)
    schedules = product.services.schedules
    theirs = schedules.create(
        product.store.accounts.get(b.id), ScheduleRequest(body="B's", kind="daily", send_time=time(7))
    )
    [schedule_id] = schedules.links(theirs.id).values()
    product.services.scheduler.client.schedule.pause(schedule_id)  # drift that only B or support may repair
    with pytest.raises(NotFound):
        schedules.repair_drift(a.as_actor(), Drift(theirs.id, schedule_id, "paused state differs"))
    with pytest.raises(Forbidden):
        schedules.repair_drift(a.as_actor(), Drift(None, schedule_id, "schedule in QStash has no active message"))
    assert product.services.scheduler.client.schedule.get(schedule_id).paused


def test_4_the_owner_of_a_message_is_always_the_acting_coach(store):
    """Values naming another coach, on insert or update, never move a message to that coach."""
    a = factories.coach(store, "a@example.com")
    b = factories.coach(store, "b@example.com")
    factories.clients(store, a, [("Ann Apple", "UTC", [])])
    made = store.messages.insert(a.as_actor(), factories.once_values(store, a, coach_id=b.id))
    assert made.coach_id == a.id
    changed = store.messages.update(a.as_actor(), made.id, {"coach_id": b.id, "body": "mine"}, made.version)
    assert (changed.coach_id, changed.body) == (a.id, "mine")
    with pytest.raises(NotFound):
        store.messages.get(b.as_actor(), made.id)
