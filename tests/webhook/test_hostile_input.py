"""Hardening 7: bad but authenticated input is a clear 4xx, never a 500, on SQLite and PostgreSQL."""

import json

import pytest
import requests

from services.domain import Actor
from tests import factories
from tests.webhook.hostile import signed_post


@pytest.fixture
def message(product, coach_with_clients):
    """A stored one-time message of the coach."""
    coach, _ = coach_with_clients
    return product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))


def _bearer(product) -> dict:
    return {"Authorization": f"Bearer {product.secrets['scheduler_api_key']}", "Content-Type": "application/json"}


def _post(product, body: bytes, **headers) -> requests.Response:
    return requests.post(product.webhook_url, data=body, headers={**_bearer(product), **headers}, timeout=30)


def _ids(message, **changes) -> bytes:
    """The firing's body with some fields replaced (json.dumps escapes NUL and lone surrogates as \\uXXXX)."""
    return json.dumps({"messageId": message.id, "coachId": message.coach_id, **changes}).encode()


def _assert_refused(answer: requests.Response, error: str) -> None:
    """489 + QStash's non-retryable header + a JSON error naming the problem."""
    assert answer.status_code == 489, (answer.status_code, answer.text)
    assert answer.headers["Upstash-NonRetryable-Error"] == "true"
    assert answer.json() == {"error": error}


def _nothing_sent(product, message) -> None:
    assert product.store.inbox.list(Actor(message.coach_id, "coach")) == []


def test_item_7_deeply_nested_json_is_refused(product):
    """8,000 nested arrays (a RecursionError inside json.loads) is a malformed body, not a crash."""
    body = b"[" * 8000 + b"]" * 8000
    _assert_refused(_post(product, body), "body must be a JSON object")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("messageId", "\u0000"),
        ("messageId", "\ud800"),
        ("messageId", "m" * 5000),
        ("coachId", "\u0000"),
        ("coachId", "\udfff"),
        ("zone", "\u0000"),
        ("zone", "\ud800"),
        ("slot", "\u0000"),
        ("slot", "\ud800"),
    ],
)
def test_item_7_nul_and_lone_surrogates_in_ids_are_refused(product, message, field, value):
    """NUL (PostgreSQL refuses it in text), lone surrogates (no UTF-8 form) and giant ids: 489, nothing sent."""
    answer = _post(product, _ids(message, **{field: value}))
    assert answer.status_code == 489, (answer.status_code, answer.text)
    assert answer.headers["Upstash-NonRetryable-Error"] == "true"
    assert answer.json()["error"]
    _nothing_sent(product, message)


@pytest.mark.parametrize("retried", ["²", "٣", "1" * 5000, str(2**70), "-1", "+1", "1.0", "0x1", ""])
def test_item_7_bad_upstash_retried_is_refused(product, message, retried):
    """Unicode digits ("²".isdigit() is True, int() refuses it), 5,000 digits, 2^70 (overflows the column)."""
    # Bytes go on the wire as they are: "²" as latin-1 (what the server decodes it as), "٣" as UTF-8.
    raw = retried.encode("latin-1") if retried.isascii() or retried == "²" else retried.encode()
    answer = _post(product, _ids(message), **{"Upstash-Retried": raw, "Upstash-Message-Id": "msg_1"})
    _assert_refused(answer, "Upstash-Retried must be a whole number from 0 to 999999")
    _nothing_sent(product, message)


@pytest.mark.parametrize("qstash_id", ["m" * 129, "msg\x7f1", "msg\u00e91"])
def test_item_7_bad_upstash_message_id_is_refused(product, message, qstash_id):
    """A message id the store cannot keep (over 128 characters, control or non-ASCII characters) is refused."""
    answer = _post(product, _ids(message), **{"Upstash-Message-Id": qstash_id.encode()})
    _assert_refused(answer, "Upstash-Message-Id must be 1 to 128 printable ASCII characters")
    _nothing_sent(product, message)


def test_item_7_signed_request_with_hostile_retried_is_refused(product, message):
    """The same checks apply when the request is authenticated by QStash's signature, not the bearer key."""
    key = product.secrets["qstash_current_signing_key"]
    answer = signed_post(product.webhook_url, _ids(message), key, retried=str(2**70))
    _assert_refused(answer, "Upstash-Retried must be a whole number from 0 to 999999")
    _nothing_sent(product, message)


@pytest.mark.parametrize(
    "authorization",
    ["{key}", "bearer {key}", "Bearer  {key}", "Bearer {key}x", "Basic {key}", "Token {key}", "{key} Bearer"],
)
def test_item_7_only_a_bare_bearer_key_is_accepted(product, message, authorization):
    """The key alone, a lower-case or doubled scheme, another scheme: 401 (only `Bearer <key>` passes)."""
    header = authorization.format(key=product.secrets["scheduler_api_key"])
    answer = requests.post(
        product.webhook_url,
        data=_ids(message),
        headers={"Authorization": header, "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized"}
    _nothing_sent(product, message)


def test_item_7_the_bare_bearer_key_still_works(product, message):
    """The good form is unchanged: `Authorization: Bearer <key>` delivers."""
    answer = _post(product, _ids(message), **{"Upstash-Message-Id": "msg_ok", "Upstash-Retried": "0"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["sent"] == 3
