"""Hardening 8: a correctly signed request from a clock a few seconds ahead (or behind) is accepted."""

import json

import pytest
import requests
from qstash import Receiver
from qstash.errors import SignatureError

from services.domain import Actor
from tests import factories
from tests.harness import Product, sign
from tests.webhook.hostile import sign_at

PATH = "/api/process-scheduled-messages"


@pytest.fixture
def signed_product(db_url, tmp_path):
    """Production's mode: only QStash's signature is accepted."""
    running = Product(db_url, tmp_path / "data", webhook_auth="signature")
    yield running
    running.stop()


@pytest.fixture
def message(signed_product):
    """A one-time message to three clients."""
    store = signed_product.store
    coach = factories.coach(store)
    factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(3)])
    return store.messages.insert(coach.as_actor(), factories.once_values(store, coach))


def _post(product, body: bytes, signature: str) -> requests.Response:
    headers = {"Content-Type": "application/json", "Upstash-Signature": signature, "Upstash-Message-Id": "msg_1"}
    return requests.post(product.webhook_url, data=body, headers=headers, timeout=30)


def _body(message) -> bytes:
    return json.dumps({"messageId": message.id, "coachId": message.coach_id}).encode()


@pytest.mark.parametrize("ahead", [1, 3, 5])
def test_item_8_signature_from_a_clock_up_to_5_s_ahead_is_accepted(signed_product, message, ahead):
    """iat = nbf = now + 1..5 s (QStash's clock a little ahead of ours): delivered."""
    body = _body(message)
    key = signed_product.secrets["qstash_current_signing_key"]
    answer = _post(signed_product, body, sign_at(body, signed_product.webhook_url, key, issued_in=ahead))
    assert answer.status_code == 200, answer.text
    assert answer.json()["sent"] == 3


def test_item_8_signature_just_past_its_expiry_is_accepted(signed_product, message):
    """The tolerance is symmetric: exp 3 s ago (QStash's clock a little behind) still verifies."""
    body = _body(message)
    key = signed_product.secrets["qstash_current_signing_key"]
    answer = _post(signed_product, body, sign_at(body, signed_product.webhook_url, key, issued_in=-303))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("issued_in", "valid_for"), [(30, 300), (-330, 300)], ids=["30s_ahead", "expired_30s_ago"])
def test_item_8_skew_beyond_the_tolerance_is_refused(signed_product, message, issued_in, valid_for):
    """Further off than 5 s either way: 401 and nothing sent."""
    body = _body(message)
    key = signed_product.secrets["qstash_current_signing_key"]
    signature = sign_at(body, signed_product.webhook_url, key, issued_in=issued_in, valid_for=valid_for)
    answer = _post(signed_product, body, signature)
    assert answer.status_code == 401
    assert signed_product.store.inbox.list(Actor(message.coach_id, "coach")) == []


def _tokens(url: str, body: bytes, keys: tuple[str, str]) -> dict[str, tuple[str, bytes]]:
    """On-time tokens, good and bad, as (signature, body presented with it)."""
    current, upcoming = keys
    return {
        "current_key": (sign(body, url, current), body),
        "next_key": (sign(body, url, upcoming), body),
        "forged": (sign(body, url, "forged-key-forged-key-forged-key-0000"), body),
        "expired": (sign(body, url, current, exp_in=-60), body),
        "not_yet_valid": (sign(body, url, current, nbf_in=600), body),
        "wrong_url": (sign(body, "https://evil.example.com" + PATH, current), body),
        "body_changed": (sign(body, url, current), body + b" "),
        "garbage": ("not-a-jwt", body),
    }


def test_item_8_the_verifier_agrees_with_qstash_receiver_when_clocks_agree():
    """With no skew, our verifier accepts and refuses exactly what the official qstash.Receiver does."""
    from services.qstash.signature import verified_claims

    url, body, keys = (
        "https://hooks.example.com" + PATH,
        b'{"messageId": "m", "coachId": "c"}',
        ("sig_" + "a" * 32, "sig_" + "b" * 32),
    )
    receiver = Receiver(*keys)
    for name, (token, presented) in _tokens(url, body, keys).items():
        try:
            receiver.verify(signature=token, body=presented.decode(), url=url)
            official = True
        except SignatureError:
            official = False
        try:
            verified_claims(token, presented, url, keys, leeway=5)
            ours = True
        except SignatureError:
            ours = False
        assert ours == official, name
        assert official == (name in {"current_key", "next_key"}), name
