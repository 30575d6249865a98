"""Hardening 9: a fan-out never outlasts the caller's timeout; QStash's retries send only the rest, once each."""

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.harness import Product, wait_until
from tests.webhook.hostile import SlowGateway, signed_post

SEND_SECONDS = 1.0
DEADLINE_SECONDS = 1.0
RECIPIENTS = 6
CONCURRENCY = 2


@pytest.fixture
def slow_product(db_url, tmp_path):
    """Sends take 1 s each, two at a time, and the fan-out stops starting sends after 1 s."""
    gateway = SlowGateway(delay=SEND_SECONDS)
    running = Product(
        db_url,
        tmp_path / "data",
        chat=gateway,
        fanout_concurrency=CONCURRENCY,
        fanout_deadline_seconds=DEADLINE_SECONDS,
    )
    yield running, gateway
    running.stop()


def _message(store):
    coach = factories.coach(store)
    factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(RECIPIENTS)])
    return coach, store.messages.insert(coach.as_actor(), factories.once_values(store, coach))


def test_item_9_first_answer_comes_before_the_deadline_plus_one_send(slow_product):
    """6 sends of 1 s, two at a time, would take 3 s: the webhook answers 503 by deadline + one send."""
    product, gateway = slow_product
    coach, message = _message(product.store)
    body = {"messageId": message.id, "coachId": message.coach_id}
    key = product.secrets["qstash_current_signing_key"]
    started = time.monotonic()
    first = signed_post(product.webhook_url, body, key, qstash_id="msg_1")
    elapsed = time.monotonic() - started
    print(f"first answer after {elapsed:.2f} s (deadline {DEADLINE_SECONDS} s, one send {SEND_SECONDS} s)")
    assert first.status_code == 503, first.text
    assert elapsed < DEADLINE_SECONDS + SEND_SECONDS, elapsed
    assert first.headers["Retry-After"] == "1"  # nothing is held: QStash may go on at once
    assert first.json()["sent"] + first.json()["pending"] == RECIPIENTS
    assert first.json()["pending"] > 0
    held = product.store.log.status_counts(coach.as_actor())
    assert held["pending"] == first.json()["pending"]
    answers = [first]
    for retried in range(1, RECIPIENTS):  # QStash's retries: a fresh signature each, same message id
        if answers[-1].status_code == 200:
            break
        answers.append(signed_post(product.webhook_url, body, key, qstash_id="msg_1", retried=retried))
        assert answers[-1].status_code in (200, 503), answers[-1].text
    assert answers[-1].status_code == 200
    assert answers[-1].json()["sent"] == RECIPIENTS
    assert Counter(gateway.sent).most_common(1)[0][1] == 1  # nobody twice
    assert len(gateway.sent) == RECIPIENTS


def test_item_9_through_local_qstash_every_recipient_is_sent_exactly_once(slow_product):
    """End to end: local QStash delivers, gets 503s, retries; in the end each recipient has exactly one message."""
    product, gateway = slow_product
    coach, message = _message(product.store)
    product.store.messages.system_update(message.id, send_at=datetime.now(UTC) + timedelta(seconds=1))
    product.services.schedules.repair(coach.as_actor(), message.id)
    wait_until(lambda: product.store.messages.get(coach.as_actor(), message.id).status == "completed", timeout=60)
    assert sorted(gateway.sent) == sorted(set(gateway.sent))
    assert len(gateway.sent) == RECIPIENTS
    runs = product.store.log.runs(coach.as_actor())
    assert len(runs) >= 2  # it took more than one attempt: the deadline cut the first one short
