"""Delivery through the real stream-chat SDK and the Stream stand-in: retries, rate limits, crashes."""

import json
import os
import signal
import subprocess
import sys

import pytest
import requests

from tests import factories
from tests.harness import Product, wait_until
from tests.ports import free_port

PATH = "/api/process-scheduled-messages"


def _people(store, n):
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i:02d}", "UTC", []) for i in range(n)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach, body="Hello {first_name}"))
    return coach, people, message


def _fire(url, api_key, message, qstash_id="msg_1", retried=0):
    body = json.dumps({"messageId": message.id, "coachId": message.coach_id})
    return requests.post(
        url,
        data=body,
        timeout=60,
        headers={
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "Upstash-Message-Id": qstash_id,
            "Upstash-Retried": str(retried),
        },
    )


def test_transient_failure_answers_5xx_and_the_retry_sends_only_the_rest(stream_product, standin):
    """One 500 from Stream leaves that recipient pending (503 to QStash); the retry sends just that one."""
    coach, _people_made, message = _people(stream_product.store, 4)
    standin.fail(500, times=1, endpoint="send_message")
    key = stream_product.secrets["scheduler_api_key"]
    first = _fire(stream_product.webhook_url, key, message)
    assert first.status_code == 503
    assert first.json()["pending"] == 1
    assert first.json()["sent"] == 3
    assert stream_product.store.messages.get(coach.as_actor(), message.id).status == "scheduled"
    calls_before = standin.calls("send_message")
    second = _fire(stream_product.webhook_url, key, message, retried=1)
    assert second.status_code == 200
    assert second.json()["sent"] == 4
    assert standin.calls("send_message") == calls_before + 1
    assert len(standin.messages()) == 4
    assert stream_product.store.messages.get(coach.as_actor(), message.id).status == "completed"


def test_permanent_failure_is_recorded_and_not_retried(stream_product, standin):
    """A 400 for one recipient is final: 200 to QStash, the row says failed with Stream's reason."""
    coach, _people_made, message = _people(stream_product.store, 3)
    standin.fail(400, times=1, endpoint="send_message")
    answer = _fire(stream_product.webhook_url, stream_product.secrets["scheduler_api_key"], message)
    assert answer.status_code == 200
    assert answer.json()["failed"] == 1
    assert answer.json()["sent"] == 2
    rows, _ = stream_product.store.log.page(coach.as_actor(), status="failed")
    assert "injected failure" in rows[0]["last_error"]


def test_rate_limit_reset_is_honoured(stream_product, standin):
    """Stream allows 3 sends per 2 s: the fan-out waits for X-RateLimit-Reset and delivers all 6."""
    _coach, _people_made, message = _people(stream_product.store, 6)
    standin.rate_limit(3, window=2.0)
    answer = _fire(stream_product.webhook_url, stream_product.secrets["scheduler_api_key"], message)
    assert answer.status_code == 200
    assert answer.json()["sent"] == 6
    # Sends beyond the limit got 429 and went through after the reset; had the fan-out not waited, their
    # three attempts would all have fallen in the same window and left them pending (503).
    assert standin.calls("send_message") > 6
    assert len(standin.messages()) == 6


def test_stream_channels_are_valid_and_one_per_client(stream_product, standin):
    """Channels use Stream-valid hashed ids (no ':'), users exist first, one message per channel."""
    coach, _people_made, message = _people(stream_product.store, 3)
    _fire(stream_product.webhook_url, stream_product.secrets["scheduler_api_key"], message)
    channels = standin.channels()
    assert len(channels) == 3
    assert all(":" not in c["id"] and len(c["id"]) <= 64 for c in channels)
    assert all(len(c["message_ids"]) == 1 for c in channels)
    assert coach.chat_user_id in standin.users()


def _start_webhook(env, port):
    process = subprocess.Popen(
        [sys.executable, "-m", "services.webhook"],
        env=dict(env, WEBHOOK_PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if os.environ.get("CI") else None,
    )
    wait_until(lambda: _healthy(port), timeout=30)
    return process


def _healthy(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_webhook_killed_after_k_of_n_sends_the_retry_sends_the_rest(db_url, tmp_path, standin):
    """SIGKILL the webhook process mid fan-out: QStash's retry sends the other n-k and nothing twice."""
    data_dir = tmp_path / "data"
    product = Product(db_url, data_dir)  # for its store and secrets; the webhook under test is a subprocess
    try:
        coach, _people_made, message = _people(product.store, 10)
        standin.latency = 0.15
        env = dict(
            os.environ,
            DATA_DIR=str(data_dir),
            STREAM_API_KEY=standin.api_key,
            STREAM_API_SECRET=standin.api_secret,
            STREAM_CHAT_URL=standin.url,
            FANOUT_CONCURRENCY="1",
            WEBHOOK_AUTH="either",
            DATABASE_URL=db_url,
        )
        port = free_port()
        process = _start_webhook(env, port)
        url = f"http://127.0.0.1:{port}{PATH}"
        key = product.secrets["scheduler_api_key"]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(lambda: _fire(url, key, message))
            wait_until(lambda: len(standin.messages()) >= 3, timeout=30, interval=0.01)
            process.send_signal(signal.SIGKILL)
            process.wait()
            with pytest.raises(requests.ConnectionError):  # the connection dies with the process
                pending.result()
        k = len(standin.messages())
        assert 3 <= k < 10
        standin.latency = 0.0
        process = _start_webhook(env, port)
        try:
            retry = _fire(url, key, message, retried=1)
        finally:
            process.terminate()
            process.wait()
        assert retry.status_code == 200, retry.text
        assert len(standin.messages()) == 10
        assert sorted(len(c["message_ids"]) for c in standin.channels()) == [1] * 10
        assert product.store.log.status_counts(coach.as_actor()) == {"sent": 10}
    finally:
        product.stop()
