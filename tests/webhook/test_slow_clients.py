"""Hardening 6: slow clients cannot lock the webhook out, served exactly as the Procfile serves it."""

import asyncio
import json
import math
import time

import pytest
import requests

from services.bootstrap import build_services
from services.config import load_settings
from services.qstash.port import FAILURE_CALLBACK_PATH, WEBHOOK_PATH
from services.webhook.asgi import buffered_body
from tests import factories
from tests.webhook.hostile import ServedWebhook, SlowClients, signed_post, timed

SLOW_CONNECTIONS = 200


@pytest.fixture
def served(tmp_path):
    """The Procfile's webhook over a fresh SQLite data directory holding one coach, three clients, one message."""
    data_dir = tmp_path / "data"
    services = build_services(load_settings(data_dir=data_dir))
    store = services.store
    coach = factories.coach(store)
    factories.clients(store, coach, [(f"Client {n}", "UTC", []) for n in range(3)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    store.engine.dispose()
    running = ServedWebhook(data_dir)
    yield running, message
    running.stop()


def _or_timeout(call) -> tuple[float, requests.Response | None]:
    """(seconds, response); a request that got no answer in time counts as infinitely slow."""
    try:
        return timed(call)
    except requests.RequestException:
        return math.inf, None


def test_item_6_slow_clients_cannot_lock_out_health_or_deliveries(served):
    """200 connections dripping a body one byte per 2 s: /healthz and a signed delivery still answer within 1 s."""
    webhook, message = served
    key = json.loads((webhook.data_dir / "secrets.json").read_text())["qstash_current_signing_key"]
    body = {"messageId": message.id, "coachId": message.coach_id}
    health_url = f"http://127.0.0.1:{webhook.port}/healthz"
    with SlowClients(webhook.port, SLOW_CONNECTIONS) as slow:
        time.sleep(2.5)  # every connection has dripped once: the server is holding all of them
        health = [_or_timeout(lambda: requests.get(health_url, timeout=5)) for _ in range(3)]
        delivery = _or_timeout(lambda: signed_post(webhook.url, body, key, timeout=5))
        still_open = slow.open_count()
    print(f"healthz {[round(s, 3) for s, _ in health]} s, delivery {delivery[0]:.3f} s, open {still_open}")
    assert still_open == SLOW_CONNECTIONS  # they were hanging, not refused
    assert all(seconds < 1.0 and answer.status_code == 200 for seconds, answer in health), health
    seconds, answer = delivery
    assert seconds < 1.0, seconds
    assert answer.status_code == 200, answer.text
    assert answer.json()["sent"] == 3


def _serve(app, messages: list[dict], headers: list[tuple[bytes, bytes]] = (), path: str = "/") -> list[dict]:
    """Run one HTTP request through an ASGI app; returns what it sent. Past the given messages, receive() hangs."""
    pending, sent = list(messages), []

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}  # pragma: no cover - the body timeout comes first

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "http", "path": path, "headers": list(headers)}, receive, send))
    return sent


class _Inner:
    """An ASGI app that records the scope and the first message it receives."""

    def __init__(self):
        self.scope, self.first = None, None

    async def __call__(self, scope, receive, send):
        self.scope, self.first = scope, await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _chunks(*parts: bytes) -> list[dict]:
    return [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]


def test_the_app_sees_the_whole_body_at_once_with_its_length():
    """A body arriving in pieces (chunked) reaches the app whole, framed by Content-Length as WSGI expects."""
    inner = _Inner()
    _serve(buffered_body(inner, limit=100), _chunks(b'{"a"', b": ", b"1}"), [(b"transfer-encoding", b"chunked")])
    assert inner.first == {"type": "http.request", "body": b'{"a": 1}', "more_body": False}
    assert inner.scope["headers"] == [(b"content-length", b"8")]


@pytest.mark.parametrize(
    ("messages", "headers"),
    [([], [(b"content-length", b"101")]), (_chunks(b"x" * 60, b"x" * 60), [])],
    ids=["declared", "streamed"],
)
def test_an_oversized_body_is_413_before_the_app_runs(messages, headers):
    """Over the limit, whether the client says so up front or only sends too much: 413, the app never called."""
    inner = _Inner()
    sent = _serve(buffered_body(inner, limit=100), messages, headers)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"]) == {"error": "body too large"}
    assert inner.scope is None


def test_a_body_slower_than_the_limit_is_408():
    """A body still incomplete when its time is up is refused; the app never holds a thread for it."""
    inner = _Inner()
    sent = _serve(buffered_body(inner, limit=100, seconds=0.2), _chunks(b"{", b"")[:1])
    assert sent[0]["status"] == 408
    assert inner.scope is None


def test_a_client_gone_before_its_body_ends_costs_nothing():
    """A disconnect mid-body: no answer, no app call."""
    inner = _Inner()
    sent = _serve(buffered_body(inner, limit=100), [*_chunks(b"{", b"")[:1], {"type": "http.disconnect"}])
    assert sent == []
    assert inner.scope is None


def test_the_failure_callback_route_takes_a_larger_body_than_a_firing():
    """QStash's failure callback carries the failed firing and its last answer: that route alone takes more."""
    larger = {FAILURE_CALLBACK_PATH: 200}
    callback, firing = _Inner(), _Inner()
    sent = _serve(buffered_body(callback, limit=100, larger=larger), _chunks(b"x" * 150), path=FAILURE_CALLBACK_PATH)
    assert sent[0]["status"] == 200
    assert len(callback.first["body"]) == 150
    sent = _serve(buffered_body(firing, limit=100, larger=larger), _chunks(b"x" * 150), path=WEBHOOK_PATH)
    assert sent[0]["status"] == 413
    assert firing.scope is None
