"""StreamChatGateway through the real stream-chat SDK against the Stream stand-in."""

from __future__ import annotations

import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from services.chat.channel_ids import dm_channel_id
from services.chat.port import ChatUser, PermanentChatError, SendResult, TransientChatError
from services.chat.stream_gateway import StreamChatGateway
from tests.chat.conftest import client_user, outgoing


def test_send_creates_users_channel_and_message(gateway, standin):
    """A first send upserts coach and client, creates their channel, stores the message."""
    result = gateway.send(outgoing(1, text="Hello Sam"))

    assert result == SendResult(chat_message_id=outgoing(1).message_id)
    users = standin.users()
    assert users["coach-7f3c"]["name"] == "Coach Carla"
    assert users["client-0001"]["name"] == "Client 1"
    [channel] = standin.channels()
    assert channel["type"] == "messaging"
    assert channel["members"] == ["coach-7f3c", "client-0001"]
    assert channel["created_by"]["id"] == "coach-7f3c"
    [stored] = standin.messages(channel["id"])
    assert (stored["id"], stored["text"], stored["user"]["id"]) == (outgoing(1).message_id, "Hello Sam", "coach-7f3c")


def test_channel_id_is_a_valid_hash_of_the_pair(gateway, standin):
    """The channel id is <= 64 chars of a-z0-9_-, no ':' or '!', and no doubled prefix."""
    gateway.send(outgoing(1))
    channel_id = standin.channels()[0]["id"]

    assert channel_id == dm_channel_id("coach-7f3c", "client-0001")
    assert len(channel_id) <= 64
    assert re.fullmatch(r"[a-z0-9_-]+", channel_id)
    assert ":" not in channel_id
    assert "!" not in channel_id
    assert "messaging" not in channel_id
    assert dm_channel_id("coach-7f3c", "client-0002") != channel_id
    assert dm_channel_id("client-0001", "coach-7f3c") != channel_id


def test_resend_of_the_same_id_is_already_delivered_and_stored_once(gateway, standin):
    """A retry after an unknown outcome must not post the message twice."""
    gateway.send(outgoing(1))
    again = gateway.send(outgoing(1))

    assert again == SendResult(chat_message_id=outgoing(1).message_id, already_delivered=True)
    assert len(standin.messages()) == 1


def test_a_fresh_gateway_also_sees_the_duplicate(gateway, standin):
    """The duplicate guard is Stream's, not the in-process cache (e.g. after a restart)."""
    gateway.send(outgoing(1))
    other = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url)

    assert other.send(outgoing(1)).already_delivered is True
    assert len(standin.messages()) == 1
    other.close()


def test_fan_out_upserts_the_coach_once_and_each_channel_once(gateway, standin):
    """1 coach + 20 clients: 21 user upserts and 20 channel creations, not one per call."""
    for n in range(20):
        gateway.send(outgoing(n))
    gateway.send(outgoing(0, message_id="second-message-client-0000"))

    assert standin.calls("upsert_users") == 21
    assert standin.calls("query_channel") == 20
    assert standin.calls("send_message") == 21
    assert len(standin.channels()) == 20


def test_renamed_client_is_upserted_again(gateway, standin):
    gateway.send(outgoing(1))
    gateway.send(replace(outgoing(1, message_id="after-rename"), client=ChatUser("client-0001", "Sam R.")))

    assert standin.users()["client-0001"]["name"] == "Sam R."


def test_rate_limited_send_is_transient_with_retry_after_from_the_reset_header(gateway, standin):
    """429 code 9: retry_after = X-RateLimit-Reset - now."""
    standin.rate_limit(2, window=30)
    before = time.time()
    gateway.send(outgoing(1))  # opens the window: reset = ceil(its start + 30)
    gateway.send(outgoing(2))
    sent = time.time()

    with pytest.raises(TransientChatError, match="HTTP 429, code 9") as caught:
        gateway.send(outgoing(3))
    after = time.time()

    # retry_after = reset - the gateway's clock when the 429 came back (bounds from the instants around the calls)
    assert math.ceil(before + 30) - after <= caught.value.retry_after <= math.ceil(sent + 30) - sent
    assert len(standin.messages()) == 2


def test_injected_429_reset_is_honoured(gateway, standin):
    standin.fail(429, endpoint="send_message", reset_in=7)

    before = time.time()
    with pytest.raises(TransientChatError, match="HTTP 429") as caught:
        gateway.send(outgoing(1))
    after = time.time()

    # The stand-in answers reset = int(its now + 7); the gateway subtracts its own now.
    assert int(before + 7) - after <= caught.value.retry_after <= int(after + 7) - before
    assert gateway.send(outgoing(1)).already_delivered is False  # the retry goes through


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_and_timeouts_are_transient(gateway, standin, status):
    standin.fail(status, endpoint="send_message")

    with pytest.raises(TransientChatError, match=f"HTTP {status}") as caught:
        gateway.send(outgoing(1))

    assert caught.value.retry_after is None
    assert standin.messages() == []


@pytest.mark.parametrize("status", [400, 403, 404, 413])
def test_other_client_errors_are_permanent(gateway, standin, status):
    standin.fail(status, endpoint="send_message")

    with pytest.raises(PermanentChatError, match=f"HTTP {status}"):
        gateway.send(outgoing(1))


def test_failure_while_creating_the_channel_is_mapped_too(gateway, standin):
    standin.fail(503, endpoint="query_channel")

    with pytest.raises(TransientChatError, match="HTTP 503"):
        gateway.send(outgoing(1))
    assert gateway.send(outgoing(1)).already_delivered is False
    assert len(standin.channels()) == 1


def test_unreachable_stream_is_transient(gateway, standin):
    gateway.send(outgoing(1))  # leaves a kept-alive connection behind
    standin.stop()

    with pytest.raises(TransientChatError, match="unreachable"):
        gateway.send(outgoing(2))


def test_dropped_connection_is_transient(gateway, standin):
    standin.drop(endpoint="send_message")

    with pytest.raises(TransientChatError, match="unreachable"):
        gateway.send(outgoing(1))
    assert standin.messages() == []


def test_text_over_5000_characters_is_permanent_without_calling_stream(gateway, standin):
    with pytest.raises(PermanentChatError, match="5000"):
        gateway.send(outgoing(1, text="x" * 5001))

    assert standin.calls() == 0
    assert gateway.send(outgoing(1, text="x" * 5000)).already_delivered is False


@pytest.mark.parametrize(
    ("bad_id", "problem"),
    [("a,b", "contains ','"), ("50%", "contains ','"), ("m" * 256, "is longer than 255"), ("", "is empty")],
)
def test_invalid_message_id_is_permanent_without_calling_stream(gateway, standin, bad_id, problem):
    with pytest.raises(PermanentChatError, match=f"message id {problem}"):
        gateway.send(replace(outgoing(1), message_id=bad_id))

    assert standin.calls() == 0


def test_concurrent_sends_each_land_exactly_once(gateway, standin):
    """50 threads, every message submitted twice at once: 50 stored, one 'new' per id."""
    messages = [outgoing(n) for n in range(50)] * 2
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(gateway.send, messages))

    stored = [m["id"] for m in standin.messages()]
    assert sorted(stored) == sorted({m.message_id for m in messages})
    fresh = [r.chat_message_id for r in results if not r.already_delivered]
    assert sorted(fresh) == sorted(stored)
    assert standin.calls("upsert_users") == 51  # the coach once, despite 50 racing threads
    assert standin.calls("query_channel") == 50


def test_gateway_is_safe_to_share_across_threads_under_faults(gateway, standin):
    """Transient failures under concurrency leave no message lost or doubled after retry."""
    standin.fail(500, times=10, endpoint="send_message")
    lock, failed = threading.Lock(), []

    def send(message):
        try:
            gateway.send(message)
        except TransientChatError:
            with lock:
                failed.append(message)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(send, [outgoing(n) for n in range(40)]))
    for message in failed:
        gateway.send(message)

    assert len(failed) == 10
    assert len(standin.messages()) == 40


def test_wrong_secret_is_permanent_and_not_leaked(standin):
    secret = "a-wrong-secret-that-must-stay-hidden-0123456789"
    gw = StreamChatGateway(standin.api_key, secret, base_url=standin.url)

    with pytest.raises(PermanentChatError) as caught:
        gw.send(outgoing(1))

    assert "401" in str(caught.value)
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    gw.close()


@pytest.mark.parametrize(
    ("provoke", "error"),
    [
        ("500", TransientChatError),
        ("429", TransientChatError),
        ("400", PermanentChatError),
        ("drop", TransientChatError),
        ("down", TransientChatError),
        ("too-long", PermanentChatError),
    ],
)
def test_secret_and_token_never_appear_in_errors(gateway, standin, provoke, error):
    token = gateway._client().auth_token
    if provoke in ("500", "429", "400"):
        standin.fail(int(provoke))
    elif provoke == "drop":
        standin.drop()
    elif provoke == "down":
        standin.stop()

    with pytest.raises(error) as caught:
        gateway.send(outgoing(1, text="x" * 6000 if provoke == "too-long" else "hi"))

    for text in (str(caught.value), repr(caught.value), str(caught.value.__cause__)):
        assert standin.api_secret not in text
        assert token not in text


def test_base_url_from_stream_chat_url_env(standin, monkeypatch):
    """With no base_url, the SDK reads STREAM_CHAT_URL, as in deployment."""
    monkeypatch.setenv("STREAM_CHAT_URL", standin.url)
    gw = StreamChatGateway(standin.api_key, standin.api_secret)

    gw.send(outgoing(1))

    assert len(standin.messages()) == 1
    gw.close()


def test_name_is_stream():
    assert StreamChatGateway("k", "s" * 32).name == "stream"
    assert client_user(3).id == "client-0003"
