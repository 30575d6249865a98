"""QStash's failure callback end to end: a firing whose deliveries all fail is dead-lettered by the local QStash,
which calls our signed route; the rows say why and exactly one alert goes out, however often the callback comes."""

import base64
import dataclasses
import json

import pytest
import requests

from services.chat.stream_gateway import StreamChatGateway
from services.domain import Actor
from services.qstash.port import FAILURE_CALLBACK_PATH, WEBHOOK_PATH
from services.qstash.registrar import Registrar
from tests import factories
from tests.harness import Product, sign, wait_until
from tests.ops.conftest import ALERTS

SUPPORT = Actor("support-test", "support")


@pytest.fixture
def failing_product(db_url, tmp_path, standin, alert_receiver):
    """The product delivering through a Stream that answers every send with 500, alerts to the receiver."""
    gateway = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url)
    standin.fail(500, times=None, endpoint="send_message")
    running = Product(db_url, tmp_path / "data", chat=gateway, alert_webhook_url=alert_receiver.url(ALERTS))
    yield running
    running.stop()


def _failure_url(product) -> str:
    return product.webhook_url.removesuffix(WEBHOOK_PATH) + FAILURE_CALLBACK_PATH


def _deliveries(product, message):
    return [r for r in product.store.log.page(SUPPORT, limit=50)[0] if r["message_id"] == message.id]


def test_a_firing_that_always_fails_ends_dead_lettered_with_the_reason_and_one_alert(failing_product, alert_receiver):
    """Stream fails every send: QStash retries 3 times (backoff shortened), gives up, calls the failure callback;
    every recipient ends failed with QStash's reason, the run says dead_letter, one alert is posted."""
    product = failing_product
    coach = factories.coach(product.store)
    factories.clients(product.store, coach, [("Ann Apple", "UTC", []), ("Ben Birch", "UTC", [])])
    message = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach, minutes=0))
    Registrar(product.store, product.services.scheduler).register(message)

    alerts = alert_receiver.wait_for(1, ALERTS, timeout=60)
    assert len(alerts) == 1
    text = json.loads(alerts[0].body)["text"]
    assert "Dead letters" in text
    assert "QStash gave up after 3 retries: the webhook answered HTTP 503" in text

    rows = wait_until(lambda: [r for r in _deliveries(product, message) if r["status"] == "failed"] or None)
    assert len(rows) == 2
    assert all(r["last_error"].startswith("QStash gave up after 3 retries") for r in rows)
    runs = product.store.log.runs(SUPPORT, message_id=message.id)
    assert len(runs) == 4
    assert {r["outcome"] for r in runs} == {"dead_letter"}
    stored = product.store.messages.get(coach.as_actor(), message.id)
    assert stored.failed_count == 2
    assert "QStash gave up" in stored.last_error

    # The minutely check finds the dead letter still in QStash's DLQ: the alert is open already, nothing is sent.
    holding = {r.condition for r in product.services.alerts.check() if r.holds}
    assert holding == {"dead_letters"}
    assert [a.condition for a in product.store.alerts.open_alerts()] == ["dead_letters"]
    assert len(alert_receiver.received(ALERTS)) == 1


def test_a_replayed_callback_changes_nothing_and_alerts_no_more(failing_product, alert_receiver):
    """QStash may deliver the callback again (or an attacker replays it, freshly signed with a stolen key is out of
    scope): the dead letter is recorded once, the rows are not touched again, no second alert."""
    product = failing_product
    coach = factories.coach(product.store)
    factories.clients(product.store, coach, [("Ann Apple", "UTC", [])])
    message = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach, minutes=0))
    Registrar(product.store, product.services.scheduler).register(message)
    alert_receiver.wait_for(1, ALERTS, timeout=60)
    url = _failure_url(product)
    callback = wait_until(lambda: product.services.scheduler.logs(count=10, url=url).logs)[0]
    body = base64.b64decode(callback.body_base64)  # the callback exactly as QStash delivered it

    key = product.secrets["qstash_current_signing_key"]
    again = requests.post(url, data=body, headers={"Upstash-Signature": sign(body, url, key)}, timeout=10)
    assert again.status_code == 200
    assert again.json() == {"recorded": False}
    assert len(product.store.dead_letters.recent()) == 1
    assert len(alert_receiver.received(ALERTS)) == 1


def test_the_callback_route_wants_qstash_signature_for_its_own_url(ops_product):
    """Unsigned, wrongly signed, or signed for another URL: 401, nothing recorded."""
    # As with hosted QStash: the signature is required (the bearer key alone is refused).
    ops_product.services.webhook_auth = dataclasses.replace(ops_product.services.webhook_auth, mode="signature")
    url = _failure_url(ops_product)
    body = json.dumps({"sourceMessageId": "msg_x", "sourceBody": "", "body": "", "status": 500}).encode()
    key = ops_product.secrets["qstash_current_signing_key"]
    attempts = [
        {},
        {"Authorization": f"Bearer {ops_product.secrets['scheduler_api_key']}"},
        {"Upstash-Signature": sign(body, url, "not-the-signing-key-" + "x" * 32)},
        {"Upstash-Signature": sign(body, ops_product.webhook_url, key)},
    ]
    for headers in attempts:
        assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 401
    assert ops_product.store.dead_letters.recent() == []
    good = requests.post(url, data=body, headers={"Upstash-Signature": sign(body, url, key)}, timeout=10)
    assert good.status_code == 200
    assert good.json() == {"recorded": True}
