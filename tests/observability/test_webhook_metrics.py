"""A test per metric: each changes after the event it counts, through the running product (local QStash → the
webhook's real app on a real port → local inbox or the Stream stand-in), read back from GET /metrics."""

from __future__ import annotations

import json

import httpx
import pytest

from services.domain import Actor
from tests import factories
from tests.harness import sign, wait_until
from tests.observability.scrape import Readings, value, webhook_metrics

# The metrics are the webhook's, not the store's: one database is enough here (the store-reading gauge runs on
# every database in test_schedules_gauge.py).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _message(store, clients=3, minutes=10, body="Hello {first_name}"):
    """A coach with `clients` clients in UTC and a one-time message to all of them, due in `minutes`."""
    coach = factories.coach(store)
    factories.clients(store, coach, [(f"Client {n}", "UTC", []) for n in range(clients)])
    return coach, store.messages.insert(coach.as_actor(), factories.once_values(store, coach, body, minutes))


def _post(product, body: bytes, **headers: str) -> httpx.Response:
    """POST a delivery to the webhook with the given headers."""
    sent = {"Content-Type": "application/json", **headers}
    return httpx.post(product.webhook_url, content=body, headers=sent, timeout=30)


def _signed(product, body: bytes, **headers: str) -> httpx.Response:
    """POST a delivery signed as QStash signs it."""
    signature = sign(body, product.webhook_url, product.secrets["qstash_current_signing_key"])
    return _post(product, body, **{"Upstash-Signature": signature, **headers})


def _body(message) -> bytes:
    return json.dumps({"messageId": message.id, "coachId": message.coach_id}).encode()


def test_a_delivery_counts_each_sent_recipient_how_late_it_was_and_the_fanout(product):
    """A message due two minutes ago goes through the local QStash: three sends, each at least 120 s late."""
    readings = Readings(lambda: webhook_metrics(product))
    coach, message = _message(product.store, clients=3, minutes=-2)
    product.services.schedules.repair(coach.as_actor(), message.id)  # publish to QStash: due, so sent at once
    wait_until(lambda: len(product.store.inbox.list(Actor(coach.id, "coach"))) == 3, timeout=30)
    wait_until(lambda: readings.delta("scheduler_fanout_duration_seconds_count") == 1, timeout=10)
    assert readings.delta("scheduler_deliveries_total", outcome="sent", provider="local_inbox") == 3
    assert readings.delta("scheduler_delivery_lateness_seconds_count") == 3
    assert readings.delta("scheduler_delivery_lateness_seconds_bucket", le="60.0") == 0  # none on time
    assert readings.delta("scheduler_delivery_lateness_seconds_bucket", le="600.0") == 3
    assert readings.delta("scheduler_delivery_lateness_seconds_sum") >= 3 * 120


def test_chat_failures_count_as_failed_when_permanent_and_retry_when_transient(stream_product, standin):
    """Stream refuses one send for good (400) and another for now (500): one failed, one retry, one sent."""
    readings = Readings(lambda: webhook_metrics(stream_product))
    _, message = _message(stream_product.store, clients=3)
    standin.fail(400, times=1, endpoint="send_message")
    standin.fail(500, times=1, endpoint="send_message")
    answer = _signed(stream_product, _body(message), **{"Upstash-Message-Id": "msg_fail_1"})
    assert answer.status_code == 503  # the transient one is left for QStash's retry
    assert readings.delta("scheduler_deliveries_total", outcome="failed", provider="stream") == 1
    assert readings.delta("scheduler_deliveries_total", outcome="retry", provider="stream") == 1
    assert readings.delta("scheduler_deliveries_total", outcome="sent", provider="stream") == 1


def test_a_chat_429_is_counted_and_so_is_the_send_tried_again(stream_product, standin):
    """Stream answers 429 with a reset a second away: the sender waits, sends again, and both are counted."""
    readings = Readings(lambda: webhook_metrics(stream_product))
    _, message = _message(stream_product.store, clients=1)
    standin.fail(429, times=1, endpoint="send_message", reset_in=1)
    answer = _signed(stream_product, _body(message), **{"Upstash-Message-Id": "msg_429_1"})
    assert answer.status_code == 200
    assert readings.delta("scheduler_chat_rate_limited_total", provider="stream") == 1
    assert readings.delta("scheduler_chat_retries_total", provider="stream") == 1
    assert readings.delta("scheduler_deliveries_total", outcome="sent", provider="stream") == 1


def test_a_verified_qstash_redelivery_is_counted_and_a_first_delivery_is_not(product):
    """Upstash-Retried 0 counts nothing; 2 counts one; an unverified request claiming 5 counts nothing."""
    readings = Readings(lambda: webhook_metrics(product))
    _, message = _message(product.store)
    assert _signed(product, _body(message), **{"Upstash-Message-Id": "msg_r", "Upstash-Retried": "0"}).is_success
    assert readings.delta("scheduler_qstash_redeliveries_total") == 0
    assert _signed(product, _body(message), **{"Upstash-Message-Id": "msg_r", "Upstash-Retried": "2"}).is_success
    assert readings.delta("scheduler_qstash_redeliveries_total") == 1
    assert _post(product, _body(message), **{"Upstash-Retried": "5"}).status_code == 401
    assert readings.delta("scheduler_qstash_redeliveries_total") == 1


@pytest.mark.parametrize("reason", ["missing", "bad_bearer", "bad_signature", "replay"])
def test_each_refused_request_is_counted_under_its_reason(product, reason):
    """No proof, a wrong key, a signature by another key, a replayed signature: each counts under its own name."""
    readings = Readings(lambda: webhook_metrics(product))
    _, message = _message(product.store)
    body = _body(message)
    foreign_key = "another-signing-key-of-32-bytes-or-more"
    headers = {
        "missing": {},
        "bad_bearer": {"Authorization": "Bearer not-the-key"},
        "bad_signature": {"Upstash-Signature": sign(body, product.webhook_url, foreign_key)},
        "replay": {"Upstash-Signature": sign(body, product.webhook_url, product.secrets["qstash_current_signing_key"])},
    }[reason]
    if reason == "replay":
        assert _post(product, body, **headers).status_code == 200  # the first use sends
    answer = _post(product, body, **headers)
    assert answer.status_code == (200 if reason == "replay" else 401)
    assert readings.delta("scheduler_auth_failures_total", reason=reason) == 1
    others = {"missing", "bad_bearer", "bad_signature", "replay"} - {reason}
    assert all(readings.delta("scheduler_auth_failures_total", reason=other) == 0 for other in others)


def test_a_dead_letter_is_counted_on_the_local_qstash(product):
    """A firing for an unknown message is answered 489: the local QStash dead-letters it and counts it."""
    metrics_url = f"{product.qstash.base_url}/metrics"
    readings = Readings(lambda: httpx.get(metrics_url, timeout=10).text)
    assert value(readings.before, "local_qstash_dlq_messages") == 0
    product.services.scheduler.client.message.publish_json(
        url=product.webhook_url,
        body={"messageId": "no-such-message", "coachId": "nobody"},
        headers={"Authorization": f"Bearer {product.secrets['scheduler_api_key']}"},
    )
    wait_until(lambda: readings.delta("local_qstash_dead_letters_total") == 1, timeout=30)
    assert readings.delta("local_qstash_deliveries_total", result="dead_letter") == 1
    assert readings.delta("local_qstash_deliveries_total", result="delivered") == 0
    assert value(readings.read(), "local_qstash_dlq_messages") == 1


def test_the_local_qstash_metrics_need_its_token_from_another_machine(product):
    """Loopback reads freely; a remote caller needs the server's bearer token."""
    client = product.qstash.app.test_client()
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=remote).status_code == 401
    token = {"Authorization": f"Bearer {product.secrets['qstash_token']}"}
    assert client.get("/metrics", environ_base=remote, headers=token).status_code == 200
    assert client.get("/metrics").status_code == 200


def test_with_metrics_token_set_metrics_answer_401_without_it(db_url, tmp_path):
    """METRICS_TOKEN set: no token or a wrong one is 401 (and counted), the right one reads the metrics."""
    from tests.harness import Product

    running = Product(db_url, tmp_path / "data", metrics_token="scrape-token-1234567")
    try:
        base = running.webhook_url.split("/api/", 1)[0]
        assert httpx.get(f"{base}/metrics", timeout=10).status_code == 401
        wrong = {"Authorization": "Bearer scrape-token-0000000"}
        assert httpx.get(f"{base}/metrics", headers=wrong, timeout=10).status_code == 401
        page = webhook_metrics(running, Authorization="Bearer scrape-token-1234567")
        assert value(page, "scheduler_auth_failures_total", reason="metrics_token") == 2
    finally:
        running.stop()


def test_without_a_token_metrics_answer_this_machine_only(product):
    """No METRICS_TOKEN: loopback reads; another address, or a request a proxy forwarded, is refused."""
    client = product.app.test_client()
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
