"""Editing, pausing and resuming keep the store and QStash together; secrets stay out of logs."""

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from qstash.errors import QStashError

from services.compose import ScheduleRequest
from services.errors import Conflict, UserError
from tests.e2e.conftest import coach_and_clients
from tests.harness import wait_until


def test_editing_a_one_time_message_replaces_its_qstash_firing(product):
    """A new time cancels the old QStash message and publishes a new one under the new version."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    first = product.services.schedules.create(account, ScheduleRequest(body="v1", send_date=day, send_time=time(9)))
    edited = product.services.schedules.edit(
        account, first.id, ScheduleRequest(body="v2", send_date=day, send_time=time(10)), version=first.version
    )
    assert edited.version == first.version + 1
    assert edited.qstash_id != first.qstash_id
    client = product.services.scheduler.client
    with pytest.raises(QStashError, match="404"):
        client.message.get(first.qstash_id)
    assert client.message.get(edited.qstash_id).not_before == int(edited.send_at.timestamp()) * 1000
    with pytest.raises(Conflict, match="changed by someone else"):
        product.services.schedules.edit(
            account, first.id, ScheduleRequest(body="stale", send_date=day, send_time=time(11)), version=first.version
        )
    actions = [e["action"] for e in product.store.audit.list(coach.as_actor(), message_id=first.id)]
    assert actions == ["edit", "create"]


def test_editing_a_recurring_rule_upserts_the_same_schedule(product):
    """Changing daily 09:00 to weekly Friday 18:00 keeps one QStash schedule id with the new cron."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    message = product.services.schedules.create(account, ScheduleRequest(body="Hi", kind="daily", send_time=time(9)))
    edited = product.services.schedules.edit(
        account,
        message.id,
        ScheduleRequest(body="Hi", kind="weekly", weekdays=[4], send_time=time(18)),
        version=message.version,
    )
    schedules = product.services.scheduler.schedules()
    assert [s.schedule_id for s in schedules] == [message.qstash_id] == [edited.qstash_id]
    assert schedules[0].cron == "CRON_TZ=America/New_York 0 18 * * 5"


def test_paused_one_time_message_cannot_resume_after_its_time(product):
    """Resuming a one-time message whose time has passed says to edit it instead."""
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    message = product.services.schedules.create(account, ScheduleRequest(body="Hi", send_date=day, send_time=time(9)))
    product.services.schedules.pause(coach.as_actor(), message.id)
    product.store.messages.system_update(message.id, send_at=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(UserError, match="The send time has passed"):
        product.services.schedules.resume(coach.as_actor(), message.id)


def test_secrets_never_reach_the_logs(product, caplog):
    """A whole delivery at DEBUG logs no key, token or signing key."""
    caplog.set_level(logging.DEBUG)
    coach, _ = coach_and_clients(product.store)
    account = product.store.accounts.get(coach.id)
    day = (datetime.now(UTC) + timedelta(days=1)).date()
    message = product.services.schedules.create(account, ScheduleRequest(body="Hi", send_date=day, send_time=time(9)))
    product.services.scheduler.logs()
    from services.qstash.port import Firing  # and a delivery now, through QStash with its real signature

    product.services.scheduler.publish(Firing(message.id, coach.id, "America/New_York"), None, "now")
    wait_until(lambda: product.store.inbox.list(coach.as_actor()), timeout=15)
    for secret in product.secrets.values():
        assert secret not in caplog.text


def test_support_edits_within_the_coachs_scope(product):
    """Support edits a coach's message: targets are checked against the coach's clients; the audit names support."""
    from tests import factories

    coach, people = coach_and_clients(product.store)
    staff = factories.support(product.store)
    other = factories.coach(product.store, "other@example.com")
    [foreign] = factories.clients(product.store, other, [("Zed Zinc", "UTC", [])])
    account = product.store.accounts.get(coach.id)
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    message = product.services.schedules.create(account, ScheduleRequest(body="Hi", send_date=day, send_time=time(9)))
    with pytest.raises(UserError, match="not your client"):
        product.services.schedules.edit(
            staff,
            message.id,
            ScheduleRequest(body="Hi", target="clients", client_ids=[foreign.id], send_date=day, send_time=time(9)),
            message.version,
        )
    edited = product.services.schedules.edit(
        staff,
        message.id,
        ScheduleRequest(body="Hi", target="clients", client_ids=[people[0].id], send_date=day, send_time=time(9)),
        message.version,
    )
    assert edited.client_ids == (people[0].id,)
    assert edited.coach_id == coach.id
    assert product.store.audit.list(coach.as_actor(), message_id=message.id)[0]["actor_id"] == staff.id
