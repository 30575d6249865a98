"""Fan-out: every active recipient gets exactly one chat message, however often QStash delivers."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from services.domain import Actor
from tests import factories

PATH = "/api/process-scheduled-messages"


def _fire(product, message, qstash_id="msg_1", retried=0, **extra):
    """Deliver a firing the way QStash does, over real HTTP."""
    body = json.dumps({"messageId": message.id, "coachId": message.coach_id, **extra})
    return requests.post(
        product.webhook_url,
        data=body,
        timeout=30,
        headers={
            "Authorization": f"Bearer {product.secrets['scheduler_api_key']}",
            "Content-Type": "application/json",
            "Upstash-Message-Id": qstash_id,
            "Upstash-Retried": str(retried),
        },
    )


def _inbox(product, coach):
    return product.store.inbox.list(Actor(coach.id, "coach"))


@pytest.fixture
def message(product, coach_with_clients):
    """A one-time message to everyone, personalised."""
    coach, _ = coach_with_clients
    return product.store.messages.insert(
        coach.as_actor(), factories.once_values(product.store, coach, body="Hi {first_name}, from {coach_name}")
    )


def test_one_message_per_active_client_personalised(product, coach_with_clients, message):
    """Three active clients get their own text; the inactive one is recorded as skipped."""
    coach, _ = coach_with_clients
    answer = _fire(product, message)
    assert answer.status_code == 200
    assert answer.json() == {
        "messageId": message.id,
        "slot": "once",
        "sent": 3,
        "failed": 0,
        "skipped": 1,
        "pending": 0,
    }
    assert sorted(m["text"] for m in _inbox(product, coach)) == [
        "Hi Ann, from Casey Coach",
        "Hi Ben, from Casey Coach",
        "Hi Cy, from Casey Coach",
    ]
    stored = product.store.messages.get(coach.as_actor(), message.id)
    assert (stored.status, stored.sent_count, stored.occurrences) == ("completed", 3, 1)
    assert product.store.log.status_counts(coach.as_actor()) == {"sent": 3, "skipped": 1}


def test_the_same_delivery_twice_sends_once(product, coach_with_clients, message):
    """QStash's at-least-once delivery: a duplicate changes nothing."""
    coach, _ = coach_with_clients
    assert _fire(product, message).status_code == 200
    product.store.messages.system_update(message.id, status="scheduled")  # as if the duplicate raced completion
    assert _fire(product, message, qstash_id="msg_dup").status_code == 200
    assert len(_inbox(product, coach)) == 3


def test_ten_identical_deliveries_at_once(product, coach_with_clients, message):
    """Ten copies of the firing at the same moment: each client still gets exactly one message."""
    coach, _ = coach_with_clients
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: _fire(product, message, qstash_id="msg_same"), range(10)))
    assert all(a.status_code in (200, 503) for a in answers)
    assert any(a.status_code == 200 for a in answers)
    inbox = _inbox(product, coach)
    assert len(inbox) == 3
    assert len({m["client_id"] for m in inbox}) == 3
    counts = product.store.log.status_counts(coach.as_actor())
    assert counts == {"sent": 3, "skipped": 1}


@pytest.mark.parametrize("status", ["paused", "cancelled", "completed"])
def test_inactive_messages_are_answered_200_with_nothing_sent(product, coach_with_clients, message, status):
    """Paused, cancelled or completed messages: 200 so QStash stops, and nothing reaches a client."""
    coach, _ = coach_with_clients
    product.store.messages.system_update(message.id, status=status)
    answer = _fire(product, message)
    assert answer.status_code == 200
    assert answer.json() == {"skipped": f"message is {status}"}
    assert _inbox(product, coach) == []


def test_tag_target_resolves_recipients_at_fire_time(product, coach_with_clients):
    """A tag message goes to whoever has the tag when it fires (a client tagged later is included)."""
    coach, _ = coach_with_clients
    store = product.store
    message = store.messages.insert(
        coach.as_actor(), factories.once_values(store, coach, target="tag", target_tag="vip")
    )
    factories.clients(store, coach, [("Eve Elm", "UTC", ["vip"])])
    assert _fire(product, message).json()["sent"] == 3  # Ann, Ben, Eve; Di is inactive
    assert sorted(m["client"] for m in _inbox(product, coach)) == ["Ann Apple", "Ben Birch", "Eve Elm"]


def test_recurring_message_ends_after_max_occurrences(product, coach_with_clients):
    """A recurring message with max 1 send completes after its first occurrence and its schedule goes."""
    coach, _ = coach_with_clients
    store = product.store
    message = store.messages.insert(
        coach.as_actor(),
        factories.once_values(store, coach, kind="daily", send_at=None, cron="0 9 * * *", max_occurrences=1),
    )
    product.services.schedules.repair(coach.as_actor(), message.id)
    [schedule_id] = store.messages.qstash_links(message.id).values()
    assert product.services.scheduler.client.schedule.get(schedule_id).cron == "CRON_TZ=America/New_York 0 9 * * *"
    assert _fire(product, message, zone="America/New_York").status_code == 200
    assert store.messages.get(coach.as_actor(), message.id).status == "completed"
    assert schedule_id not in {s.schedule_id for s in product.services.scheduler.schedules()}
    assert len(_inbox(product, coach)) == 3


def test_an_inactive_coachs_messages_are_not_sent(product, coach_with_clients, message):
    """A deactivated coach's scheduled messages fire into nothing: 200 so QStash stops, no chat message."""
    coach, _ = coach_with_clients
    admin = factories.account(product.store, "root@example.com", "Root", "admin")
    product.store.accounts.update(admin.as_actor(), coach.id, active=False)
    answer = _fire(product, message)
    assert answer.status_code == 200
    assert answer.json() == {"skipped": "coach account is inactive"}
    assert _inbox(product, coach) == []
