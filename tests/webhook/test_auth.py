"""Each way a webhook request can be wrong gets refused; QStash's real signatures are accepted."""

import json

import pytest

from tests import factories
from tests.harness import sign

PATH = "/api/process-scheduled-messages"


@pytest.fixture
def message(product, coach_with_clients):
    """A stored one-time message of the coach."""
    coach, _ = coach_with_clients
    return product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))


def _post(product, body: bytes, headers: dict):
    return product.app.test_client().post(PATH, data=body, headers={"Content-Type": "application/json", **headers})


def _body(message) -> bytes:
    return json.dumps({"messageId": message.id, "coachId": message.coach_id}).encode()


def _set_mode(product, mode):
    from dataclasses import replace

    product.app.extensions["scheduler_services"].webhook_auth = replace(product.services.webhook_auth, mode=mode)


@pytest.fixture
def signature_only(product):
    """Production's mode: the QStash signature is required."""
    from dataclasses import replace

    from services.webhook import create_app

    product.services.webhook_auth = replace(product.services.webhook_auth, mode="signature")
    return create_app(product.services).test_client()


@pytest.mark.parametrize("case", ["missing", "forged", "expired", "body_changed", "wrong_url", "not_yet_valid"])
def test_bad_signatures_get_401_with_no_detail(product, signature_only, message, case):
    """No signature, a forged one, an expired one, a changed body, another URL: 401 and nothing sent."""
    body = _body(message)
    key, url = product.secrets["qstash_current_signing_key"], product.webhook_url
    signatures = {
        "missing": None,
        "forged": sign(body, url, "forged-key-forged-key-forged-key-0000"),
        "expired": sign(body, url, key, exp_in=-60),
        "body_changed": sign(body.replace(b"}", b', "x": 1}'), url, key),
        "wrong_url": sign(body, "https://evil.example.com" + PATH, key),
        "not_yet_valid": sign(body, url, key, nbf_in=600),
    }
    headers = {"Upstash-Signature": signatures[case]} if signatures[case] else {}
    answer = signature_only.post(PATH, data=body, headers=headers)
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "unauthorized"}
    assert product.store.inbox.list(message_actor(message)) == []


def message_actor(message):
    from services.domain import Actor

    return Actor(message.coach_id, "coach")


@pytest.mark.parametrize("which", ["qstash_current_signing_key", "qstash_next_signing_key"])
def test_current_and_next_keys_are_accepted(product, signature_only, message, which):
    """A body signed with the current key, or with the next one after rotation, is delivered."""
    body = _body(message)
    answer = signature_only.post(
        PATH,
        data=body,
        headers={
            "Upstash-Signature": sign(body, product.webhook_url, product.secrets[which]),
            "Upstash-Message-Id": f"msg_{which}",
        },
    )
    assert answer.status_code == 200, answer.get_json()
    assert len(product.store.inbox.list(message_actor(message))) == 3


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Bearer ", "Basic abc"])
def test_bearer_mode_refuses_wrong_or_missing_key(product, message, authorization):
    """With bearer auth, a wrong or missing SCHEDULER_API_KEY is 401."""
    _set_mode(product, "bearer")
    headers = {"Authorization": authorization} if authorization else {}
    assert _post(product, _body(message), headers).status_code == 401


def test_bearer_key_is_accepted(product, message):
    """The guide's curl: the bearer key alone works in embedded mode."""
    answer = _post(product, _body(message), {"Authorization": f"Bearer {product.secrets['scheduler_api_key']}"})
    assert answer.status_code == 200
    assert answer.get_json()["sent"] == 3


def _bearer(product):
    return {"Authorization": f"Bearer {product.secrets['scheduler_api_key']}"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body must be a JSON object"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'{"messageId": 5, "coachId": "x"}', "body needs messageId and coachId strings"),
        (b'{"messageId": "test", "coachId": "your-coach-id"}', "unknown message"),
    ],
)
def test_permanently_bad_requests_get_489_non_retryable(product, body, reason):
    """Malformed bodies and unknown messages go straight to QStash's DLQ (489 + non-retryable header)."""
    answer = _post(product, body, _bearer(product))
    assert answer.status_code == 489
    assert answer.headers["Upstash-NonRetryable-Error"] == "true"
    assert answer.get_json() == {"error": reason}


def test_another_coachs_message_is_refused(product, message):
    """A body naming another coach for the message is 489 and sends nothing."""
    other = factories.coach(product.store, "other@example.com")
    body = json.dumps({"messageId": message.id, "coachId": other.id}).encode()
    answer = _post(product, body, _bearer(product))
    assert answer.status_code == 489
    assert answer.get_json() == {"error": "coach does not own this message"}
    assert product.store.inbox.list(message_actor(message)) == []


def test_oversized_body_is_refused(product):
    """Bodies over the size limit are refused before any work."""
    body = b'{"messageId": "' + b"x" * 20_000 + b'", "coachId": "c"}'
    assert _post(product, body, _bearer(product)).status_code == 413


def test_health_check(product):
    """GET /healthz says whether the database answers."""
    answer = product.app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"database": "ok"}


def test_unknown_zone_in_the_body_is_permanently_bad(product, message):
    """A firing naming a zone that does not exist is refused as non-retryable."""
    body = json.dumps({"messageId": message.id, "coachId": message.coach_id, "zone": "Mars/Base"}).encode()
    answer = _post(product, body, _bearer(product))
    assert answer.status_code == 489
    assert answer.get_json() == {"error": "unknown zone"}
