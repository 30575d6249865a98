"""The testing guide's scenarios, end to end: dashboard services → QStash (local) → webhook → chat."""

from datetime import UTC, datetime, time, timedelta

import pytest
from qstash.errors import QStashError

from services.compose import ScheduleRequest
from services.errors import SchedulerUnavailable, UserError
from tests import factories
from tests.e2e.conftest import coach_and_clients
from tests.harness import wait_until


def _soon(product, coach, seconds=1, **extra):
    """Store a one-time message due a second ahead and register it the way the dashboard does (QStash holds it)."""
    store = product.store
    values = factories.once_values(store, coach, body="Hi {first_name}!", minutes=0, **extra)
    values["send_at"] = datetime.now(UTC) + timedelta(seconds=seconds)
    message = store.messages.insert(coach.as_actor(), values)
    return product.services.schedules.repair(coach.as_actor(), message.id)


def test_1_one_time_message_arrives_in_every_chat(product):
    """Guide test 1: a message scheduled shortly ahead to all clients is delivered once to each, then completed."""
    coach, _people = coach_and_clients(product.store)
    message = _soon(product, coach)
    assert message.qstash_id.startswith("msg")
    inbox = wait_until(
        lambda: len(product.store.inbox.list(coach.as_actor())) == 3 and product.store.inbox.list(coach.as_actor()),
        timeout=20,
    )
    assert sorted(m["text"] for m in inbox) == ["Hi Ann!", "Hi Ben!", "Hi Cy!"]
    done = wait_until(lambda: product.store.messages.get(coach.as_actor(), message.id).status == "completed")
    assert done
    runs = product.store.log.runs(coach.as_actor())
    assert runs[0]["qstash_message_id"] == message.qstash_id
    assert runs[0]["sent"] == 3


def test_2_future_message_is_held_by_qstash_and_can_be_cancelled(product):
    """Guide test 2: tomorrow's message waits in QStash with its not-before time; cancelling removes it."""
    coach, _ = coach_and_clients(product.store)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone().date()
    account = product.store.accounts.get(coach.id)
    message = product.services.schedules.create(
        account, ScheduleRequest(body="Tomorrow!", send_date=tomorrow, send_time=time(9, 0))
    )
    held = product.services.scheduler.client.message.get(message.qstash_id)
    assert held.not_before == int(message.send_at.timestamp()) * 1000  # the API speaks milliseconds here
    product.services.schedules.cancel(coach.as_actor(), message.id)
    assert product.store.messages.get(coach.as_actor(), message.id).status == "cancelled"
    with pytest.raises(QStashError, match="404"):
        product.services.scheduler.client.message.get(message.qstash_id)


@pytest.mark.parametrize(("kind", "weekdays", "cron"), [("daily", [], "0 9 * * *"), ("weekly", [0], "0 10 * * 1")])
def test_3_4_recurring_messages_become_qstash_schedules(product, kind, weekdays, cron):
    """Guide tests 3 and 4: daily 09:00 and Monday 10:00 appear in QStash with the zone in the cron."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    at = time(9) if kind == "daily" else time(10)
    message = product.services.schedules.create(
        account, ScheduleRequest(body="Check-in", kind=kind, weekdays=weekdays, send_time=at)
    )
    schedule = product.services.scheduler.client.schedule.get(message.qstash_id)
    assert schedule.cron == f"CRON_TZ=America/New_York {cron}"
    assert schedule.destination == product.webhook_url
    assert schedule.body is not None
    assert "Check-in" not in schedule.body
    product.services.schedules.pause(coach.as_actor(), message.id)
    assert product.services.scheduler.client.schedule.get(message.qstash_id).paused
    product.services.schedules.resume(coach.as_actor(), message.id)
    assert not product.services.scheduler.client.schedule.get(message.qstash_id).paused
    product.services.schedules.cancel(coach.as_actor(), message.id)
    assert message.qstash_id not in {s.schedule_id for s in product.services.scheduler.schedules()}


def test_each_clients_local_time_makes_one_schedule_per_zone(product):
    """'Each client's local time': one QStash schedule per distinct client zone, each with its CRON_TZ."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    message = product.services.schedules.create(
        account, ScheduleRequest(body="Morning!", kind="daily", send_time=time(8), zone_mode="client")
    )
    crons = sorted(s.cron for s in product.services.scheduler.schedules())
    assert crons == [
        "CRON_TZ=America/New_York 0 8 * * *",
        "CRON_TZ=Asia/Tokyo 0 8 * * *",
        "CRON_TZ=Europe/London 0 8 * * *",
    ]
    assert len(product.store.messages.qstash_links(message.id)) == 3


def test_qstash_refusal_leaves_the_row_in_error_with_the_reason(product):
    """If QStash cannot be reached the coach sees why and the row is not left 'scheduled'."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    product.qstash.stop()
    with pytest.raises(SchedulerUnavailable, match="QStash could not be reached"):
        product.services.schedules.create(account, ScheduleRequest(body="Hi", kind="daily", send_time=time(9)))
    [row], _ = product.store.messages.list(coach.as_actor())
    assert row["status"] == "error"
    assert "could not be reached" in row["last_error"]
    assert product.secrets["qstash_token"] not in row["last_error"]


def test_failed_deliveries_are_retried_automatically(stream_product, standin):
    """Success criterion: Stream fails once with 500, QStash retries, the client gets exactly one message."""
    coach, _ = coach_and_clients(stream_product.store)
    standin.fail(500, times=1, endpoint="send_message")
    message = _soon(stream_product, coach)
    wait_until(
        lambda: stream_product.store.messages.get(coach.as_actor(), message.id).status == "completed", timeout=30
    )
    assert len(standin.messages()) == 3
    runs = stream_product.store.log.runs(coach.as_actor())
    assert sorted(r["retried"] for r in runs) == [0, 1]
    assert {r["outcome"] for r in runs} == {"retry", "done"}


def test_support_retries_a_permanently_failed_recipient(stream_product, standin):
    """Support retries a failed recipient from the log; only that client is sent again."""
    coach, _ = coach_and_clients(stream_product.store)
    staff = factories.support(stream_product.store)
    standin.fail(403, times=1, endpoint="send_message")
    _soon(stream_product, coach)
    wait_until(lambda: stream_product.store.log.status_counts(coach.as_actor()).get("failed") == 1, timeout=20)
    [failed], _ = stream_product.store.log.page(staff.as_actor(), status="failed")
    log = stream_product.services.delivery_log
    assert log.retry_failed(staff.as_actor(), [failed["id"]]) == 1
    wait_until(lambda: stream_product.store.log.status_counts(coach.as_actor()) == {"sent": 3}, timeout=20)
    assert len(standin.messages()) == 3


def test_drift_is_found_and_repaired(product):
    """A schedule deleted behind our back shows as drift and Repair recreates it."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    services = product.services
    message = services.schedules.create(account, ScheduleRequest(body="Hi", kind="daily", send_time=time(9)))
    services.scheduler.client.schedule.delete(message.qstash_id)
    [drift] = services.schedules.drift(coach.as_actor())
    assert drift.problem == "missing in QStash"
    services.schedules.repair_drift(coach.as_actor(), drift)
    assert services.schedules.drift(coach.as_actor()) == []


def test_permanently_bad_firing_lands_in_the_dead_letter_queue(product):
    """A firing for a message that no longer exists is answered 489 and QStash puts it in the DLQ at once."""
    from services.qstash.port import Firing

    product.services.scheduler.publish(Firing("gone", "nobody", "UTC"), None, "dlq-test")
    letters = wait_until(lambda: product.services.scheduler.dead_letters().messages, timeout=15)
    assert len(letters) == 1
    assert letters[0].response_status == 489


def test_one_time_message_in_each_clients_zone_completes_after_the_last_zone(product):
    """A one-time message at each client's local time fires per zone; it completes only when all have."""
    coach, _ = coach_and_clients(product.store)
    message = _soon(product, coach, seconds=2 * 86400, zone_mode="client")  # ahead in every zone
    links = product.store.messages.qstash_links(message.id)
    assert sorted(links) == ["America/New_York", "Asia/Tokyo", "Europe/London"]
    fire = product.services.delivery.fire
    for n, zone in enumerate(sorted(links)):
        answer = fire({"messageId": message.id, "coachId": coach.id, "zone": zone}, links[zone], 0)
        assert (answer.status, answer.body["sent"]) == (200, 1)
        status = product.store.messages.get(coach.as_actor(), message.id).status
        assert status == ("completed" if n == len(links) - 1 else "scheduled")
    assert len(product.store.inbox.list(coach.as_actor())) == 3


def test_retry_is_refused_for_a_cancelled_message(stream_product, standin):
    """Failed recipients of a cancelled message are not retried behind the coach's back."""
    coach, _ = coach_and_clients(stream_product.store)
    staff = factories.support(stream_product.store)
    standin.fail(403, times=1, endpoint="send_message")
    message = _soon(stream_product, coach)
    wait_until(lambda: stream_product.store.log.status_counts(coach.as_actor()).get("failed") == 1, timeout=20)
    # The run closes the occurrence (status "completed") just after the row fails: cancel after that, not before.
    wait_until(lambda: stream_product.store.messages.get_unscoped(message.id).status == "completed", timeout=20)
    stream_product.store.messages.system_update(message.id, status="cancelled")
    [failed], _ = stream_product.store.log.page(staff.as_actor(), status="failed")
    with pytest.raises(UserError, match="That message is cancelled"):
        stream_product.services.delivery_log.retry_failed(staff.as_actor(), [failed["id"]])
    assert stream_product.store.log.status_counts(coach.as_actor())["failed"] == 1
