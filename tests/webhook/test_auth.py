"""Each way a webhook request can be wrong gets refused; QStash's real signatures are accepted; each
WEBHOOK_AUTH mode asks for exactly the proofs it names. The app is built the way the product builds it (in the
mode under test) and driven through Flask's test client: no servers needed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from services import local_secrets
from services.bootstrap import build_services
from services.config import load_settings
from services.domain import Actor
from services.webhook import create_app
from tests import factories
from tests.harness import sign
from tests.webhook.conftest import make_coach_with_clients

PATH = "/api/process-scheduled-messages"


@dataclass
class Webhook:
    """The webhook app under test, its services and the embedded secrets."""

    services: Any
    client: Any  # Flask test client
    secrets: dict[str, str]

    @property
    def store(self):
        return self.services.store

    @property
    def url(self) -> str:
        """The URL QStash signs as `sub`."""
        return self.services.webhook_auth.expected_url

    def post(self, body: bytes, headers: dict | None = None):
        return self.client.post(PATH, data=body, headers={"Content-Type": "application/json", **(headers or {})})

    def signature(self, body: bytes, key: str = "qstash_current_signing_key") -> dict:
        return {"Upstash-Signature": sign(body, self.url, self.secrets[key])}

    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.secrets['scheduler_api_key']}"}


@pytest.fixture
def mode():
    """WEBHOOK_AUTH for the app (None: the embedded default, 'either'); tests parametrize it."""
    return None


@pytest.fixture
def webhook(engine, tmp_path, mode) -> Webhook:
    """The webhook app built with WEBHOOK_AUTH=mode over the test database."""
    data_dir = tmp_path / "data"
    services = build_services(load_settings(data_dir=data_dir, webhook_auth=mode), engine=engine)
    assert services.webhook_auth.mode == (mode or "either")
    return Webhook(services, create_app(services).test_client(), local_secrets.load_or_create(data_dir))


@pytest.fixture
def message(webhook):
    """A stored one-time message of a coach with three active clients."""
    coach, _ = make_coach_with_clients(webhook.store)
    return webhook.store.messages.insert(coach.as_actor(), factories.once_values(webhook.store, coach))


def _body(message) -> bytes:
    return json.dumps({"messageId": message.id, "coachId": message.coach_id}).encode()


def _inbox(webhook, message) -> list:
    return webhook.store.inbox.list(Actor(message.coach_id, "coach"))


def _proofs(webhook, body: bytes, proofs: str) -> dict:
    """Headers carrying a valid signature, the valid bearer key, both or none."""
    headers = {}
    if proofs in ("signature", "both"):
        headers.update(webhook.signature(body))
    if proofs in ("bearer", "both"):
        headers.update(webhook.bearer())
    return headers


@pytest.mark.parametrize(
    ("mode", "proofs"),
    [
        ("signature", "signature"),
        ("signature", "both"),
        ("bearer", "bearer"),
        ("bearer", "both"),
        ("both", "both"),
        ("either", "signature"),
        ("either", "bearer"),
        (None, "signature"),  # embedded default: QStash's signature ...
        (None, "bearer"),  # ... or the guide's curl with the bearer key alone
    ],
)
def test_each_mode_accepts_the_proofs_it_asks_for(webhook, message, mode, proofs):
    """A request with what the mode requires is delivered to the three active clients."""
    body = _body(message)
    answer = webhook.post(body, _proofs(webhook, body, proofs))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["sent"] == 3
    assert len(_inbox(webhook, message)) == 3


@pytest.mark.parametrize(
    ("mode", "proofs"),
    [
        ("signature", "bearer"),  # production's mode: the key alone is not enough
        ("signature", "none"),
        ("bearer", "signature"),  # a bearer-only app does not take a signature instead of the key
        ("bearer", "none"),
        ("both", "signature"),
        ("both", "bearer"),
        ("both", "none"),
        ("either", "none"),
        (None, "none"),
    ],
)
def test_each_mode_refuses_a_request_missing_a_proof_it_asks_for(webhook, message, mode, proofs):
    """A request without what the mode requires is 401 with no detail, and nothing is sent."""
    body = _body(message)
    answer = webhook.post(body, _proofs(webhook, body, proofs))
    assert (answer.status_code, answer.get_json()) == (401, {"error": "unauthorized"})
    assert _inbox(webhook, message) == []


@pytest.mark.parametrize("mode", ["signature"])
@pytest.mark.parametrize("case", ["missing", "forged", "expired", "body_changed", "wrong_url", "not_yet_valid"])
def test_bad_signatures_get_401_with_no_detail(webhook, message, case):
    """No signature, a forged one, an expired one, a changed body, another URL: 401 and nothing sent."""
    body = _body(message)
    key, url = webhook.secrets["qstash_current_signing_key"], webhook.url
    signatures = {
        "missing": None,
        "forged": sign(body, url, "forged-key-forged-key-forged-key-0000"),
        "expired": sign(body, url, key, exp_in=-60),
        "body_changed": sign(body.replace(b"}", b', "x": 1}'), url, key),
        "wrong_url": sign(body, "https://evil.example.com" + PATH, key),
        "not_yet_valid": sign(body, url, key, nbf_in=600),
    }
    headers = {"Upstash-Signature": signatures[case]} if signatures[case] else {}
    answer = webhook.post(body, headers)
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "unauthorized"}
    assert _inbox(webhook, message) == []


@pytest.mark.parametrize("mode", ["signature"])
@pytest.mark.parametrize("which", ["qstash_current_signing_key", "qstash_next_signing_key"])
def test_current_and_next_keys_are_accepted(webhook, message, which):
    """A body signed with the current key, or with the next one after rotation, is delivered."""
    body = _body(message)
    answer = webhook.post(body, {**webhook.signature(body, which), "Upstash-Message-Id": f"msg_{which}"})
    assert answer.status_code == 200, answer.get_json()
    assert len(_inbox(webhook, message)) == 3


@pytest.mark.parametrize("mode", ["bearer"])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Bearer ", "Basic abc"])
def test_bearer_mode_refuses_wrong_or_missing_key(webhook, message, authorization):
    """With bearer auth, a wrong or missing SCHEDULER_API_KEY is 401."""
    headers = {"Authorization": authorization} if authorization else {}
    assert webhook.post(_body(message), headers).status_code == 401
    assert _inbox(webhook, message) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body must be a JSON object"),
        (b"[1, 2]", "body must be a JSON object"),
        (b'{"messageId": 5, "coachId": "x"}', "body needs messageId and coachId strings"),
        (b'{"messageId": "test", "coachId": "your-coach-id"}', "unknown message"),
    ],
)
def test_permanently_bad_requests_get_489_non_retryable(webhook, body, reason):
    """Malformed bodies and unknown messages go straight to QStash's DLQ (489 + non-retryable header)."""
    answer = webhook.post(body, webhook.bearer())
    assert answer.status_code == 489
    assert answer.headers["Upstash-NonRetryable-Error"] == "true"
    assert answer.get_json() == {"error": reason}


def test_another_coachs_message_is_refused(webhook, message):
    """A body naming another coach for the message is 489 and sends nothing."""
    other = factories.coach(webhook.store, "other@example.com")
    body = json.dumps({"messageId": message.id, "coachId": other.id}).encode()
    answer = webhook.post(body, webhook.bearer())
    assert answer.status_code == 489
    assert answer.get_json() == {"error": "coach does not own this message"}
    assert _inbox(webhook, message) == []


def test_oversized_body_is_refused(webhook):
    """Bodies over the size limit are refused before any work."""
    body = b'{"messageId": "' + b"x" * 20_000 + b'", "coachId": "c"}'
    answer = webhook.post(body, webhook.bearer())
    assert (answer.status_code, answer.get_json()) == (413, {"error": "body too large"})


def test_health_check(webhook):
    """GET /healthz says whether the database answers."""
    answer = webhook.client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"database": "ok"}


def test_unknown_zone_in_the_body_is_permanently_bad(webhook, message):
    """A firing naming a zone that does not exist is refused as non-retryable."""
    body = json.dumps({"messageId": message.id, "coachId": message.coach_id, "zone": "Mars/Base"}).encode()
    answer = webhook.post(body, webhook.bearer())
    assert answer.status_code == 489
    assert answer.get_json() == {"error": "unknown zone"}
    assert _inbox(webhook, message) == []
