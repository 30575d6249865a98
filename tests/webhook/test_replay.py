"""Hardening 5: a captured, validly signed request replayed within its validity sends nothing again."""

import json
import threading
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests

from services import recurrence
from services.chat.port import SendResult, TransientChatError
from services.domain import Actor
from tests import factories
from tests.harness import Product, wait_until
from tests.webhook.hostile import SlowGateway, sign_at

EVERY_MINUTE = "* * * * *"


def _recurring(store, coach, cron=EVERY_MINUTE):
    """A recurring message to all the coach's clients, firing every minute in UTC."""
    values = factories.once_values(store, coach, kind="cron", send_at=None, cron=cron, timezone="UTC")
    return store.messages.insert(coach.as_actor(), values)


def _people(store, n=3):
    coach = factories.coach(store)
    factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(n)])
    return coach


def _body(message) -> bytes:
    return json.dumps({"messageId": message.id, "coachId": message.coach_id}).encode()


def _deliver(product, body: bytes, signature: str, qstash_id: str, retried: int = 0, bearer: bool = False):
    """POST exactly these bytes and headers (a replay is the same signature sent again)."""
    headers = {
        "Content-Type": "application/json",
        "Upstash-Signature": signature,
        "Upstash-Message-Id": qstash_id,
        "Upstash-Retried": str(retried),
    }
    if bearer:  # QStash forwards the bearer key too, so a captured request carries both
        headers["Authorization"] = f"Bearer {product.secrets['scheduler_api_key']}"
    return requests.post(product.webhook_url, data=body, headers=headers, timeout=30)


def _key(product) -> str:
    return product.secrets["qstash_current_signing_key"]


def _inbox(product, coach):
    return product.store.inbox.list(Actor(coach.id, "coach"))


def _a_minute_later(product) -> None:
    """The webhook's clock moves on a minute (the captured signature is still inside its 300 s)."""
    product.services.delivery.clock = lambda: datetime.now(UTC) + timedelta(seconds=61)


@pytest.mark.parametrize("with_bearer", [False, True], ids=["signature", "signature+bearer"])
def test_item_5_replay_with_a_new_message_id_sends_nothing(product, with_bearer):
    """A minute later the same signed request under a new Upstash-Message-Id is not a new occurrence."""
    coach = _people(product.store)
    message = _recurring(product.store, coach)
    body = _body(message)
    signature = sign_at(body, product.webhook_url, _key(product))
    first = _deliver(product, body, signature, "msg_first", bearer=with_bearer)
    assert first.status_code == 200, first.text
    assert first.json()["sent"] == 3
    _a_minute_later(product)
    replay = _deliver(product, body, signature, "msg_forged", bearer=with_bearer)
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"skipped": "duplicate delivery"}
    assert len(_inbox(product, coach)) == 3
    again = _deliver(product, body, signature, "msg_first", bearer=with_bearer)
    assert again.status_code == 200
    assert again.json() == {"skipped": "duplicate delivery"}
    assert len(_inbox(product, coach)) == 3


@pytest.fixture
def slow_product(db_url, tmp_path):
    """The product sending through a gateway that takes 0.5 s per send, one send at a time."""
    gateway = SlowGateway(delay=0.5)
    running = Product(db_url, tmp_path / "data", chat=gateway, fanout_concurrency=1)
    yield running, gateway
    running.stop()


def test_item_5_replay_with_higher_retried_does_not_take_over_in_flight_rows(slow_product):
    """While the first attempt is still sending, its replay with Upstash-Retried 1 sends nobody a second time."""
    product, gateway = slow_product
    coach = _people(product.store, 4)
    message = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))
    body = _body(message)
    signature = sign_at(body, product.webhook_url, _key(product))
    answers = {}
    first = threading.Thread(target=lambda: answers.update(first=_deliver(product, body, signature, "msg_1")))
    first.start()
    wait_until(lambda: len(gateway.sent) >= 1, timeout=10)
    replay = _deliver(product, body, signature, "msg_1", retried=1)
    first.join(timeout=30)
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"skipped": "duplicate delivery"}
    assert answers["first"].status_code == 200
    assert len(gateway.sent) == 4
    assert len(set(gateway.sent)) == 4  # nobody twice


class _FailsOnce:
    """A gateway that fails the first send to one client transiently, then delivers everything."""

    name = "flaky test gateway"

    def __init__(self):
        self.sent, self.failed = [], False

    def prepare_users(self, users) -> None:
        """Nothing to set up."""

    def send(self, message):
        if not self.failed:
            self.failed = True
            raise TransientChatError("try again")
        self.sent.append(message.message_id)
        return SendResult(chat_message_id=message.message_id)


@pytest.fixture
def flaky_product(db_url, tmp_path):
    """The product with one transient send failure, one send at a time."""
    gateway = _FailsOnce()
    running = Product(db_url, tmp_path / "data", chat=gateway, fanout_concurrency=1)
    yield running, gateway
    running.stop()


def test_item_5_a_retry_stays_on_the_slot_of_its_first_attempt(flaky_product):
    """QStash's retry is signed later (a later iat, here a later minute) but completes the first attempt's slot."""
    product, gateway = flaky_product
    coach = _people(product.store)
    message = _recurring(product.store, coach)
    body = _body(message)
    first = _deliver(product, body, sign_at(body, product.webhook_url, _key(product), issued_in=-90), "msg_1")
    assert first.status_code == 503, first.text
    assert first.json()["pending"] == 1
    retry = _deliver(product, body, sign_at(body, product.webhook_url, _key(product)), "msg_1", retried=1)
    assert retry.status_code == 200, retry.text
    assert retry.json()["slot"] == first.json()["slot"]
    assert retry.json()["sent"] == 3
    assert len(gateway.sent) == 3


def test_item_5_a_recurring_firing_takes_its_slot_from_the_signed_iat(product):
    """The occurrence a new firing stands for is read from the signature's iat, not from the arrival time."""
    coach = _people(product.store)
    message = _recurring(product.store, coach)
    body = _body(message)
    signature = sign_at(body, product.webhook_url, _key(product), issued_in=-150)
    issued = datetime.fromtimestamp(jwt.decode(signature, options={"verify_signature": False})["iat"], UTC)
    answer = _deliver(product, body, signature, "msg_late")
    assert answer.status_code == 200, answer.text
    assert answer.json()["slot"] == recurrence.previous_slot(EVERY_MINUTE, "UTC", issued).slot


def test_item_5_bearer_only_requests_still_deliver_once(product):
    """Bearer mode has no jti: the key is QStash's secret; a repeated firing of one occurrence still sends once."""
    coach = _people(product.store)
    message = _recurring(product.store, coach)
    now = datetime.now(UTC)
    product.services.delivery.clock = lambda: now  # no minute boundary between the three requests
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {product.secrets['scheduler_api_key']}",
    }
    for qstash_id in ("msg_a", "msg_a", "msg_b"):
        answer = requests.post(
            product.webhook_url, data=_body(message), headers={**headers, "Upstash-Message-Id": qstash_id}, timeout=30
        )
        assert answer.status_code == 200, answer.text
    assert len(_inbox(product, coach)) == 3
