"""The stand-in enforces Stream's rules: the official SDK driven directly, no gateway."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from tests.stream_standin import StreamStandIn


def _users(sdk, *ids):
    sdk.upsert_users([{"id": i, "name": i.title()} for i in ids])


def _channel(sdk, channel_id="dm-abc", members=("coach", "client")):
    channel = sdk.channel("messaging", channel_id, {"members": list(members)})
    channel.create(members[0])
    return channel


def _api_error(call) -> StreamAPIException:
    with pytest.raises(StreamAPIException) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    ("channel_id", "says"),
    [
        ("coach:client", "can't contain the : character"),
        ("messaging:messaging_coach_client", "can't contain the : character"),
        ("!members-abc", "can't contain the ! character"),
        ("c" * 65, "longer than 64"),
        ("Dm-Upper", "only a-z"),
        ("dm.dot", "only a-z"),
    ],
)
def test_invalid_channel_ids_are_refused_with_code_4(sdk, channel_id, says):
    _users(sdk, "coach", "client")

    error = _api_error(lambda: _channel(sdk, channel_id))

    assert (error.status_code, error.error_code) == (400, 4)
    assert says in error.error_message


def test_a_64_character_channel_id_is_accepted(sdk, standin):
    _users(sdk, "coach", "client")
    _channel(sdk, "a" * 64)

    assert standin.channel("a" * 64)["members"] == ["coach", "client"]


def test_members_must_be_upserted_before_the_channel(sdk, standin):
    _users(sdk, "coach")

    error = _api_error(lambda: _channel(sdk))

    assert (error.status_code, error.error_code) == (400, 4)
    assert "don't exist" in error.error_message
    assert "client" in error.error_message
    assert standin.channels() == []


def test_create_is_get_or_create(sdk, standin):
    _users(sdk, "coach", "client")
    first = _channel(sdk).create("coach")
    second = _channel(sdk).create("coach")

    assert first["channel"]["cid"] == second["channel"]["cid"] == "messaging:dm-abc"
    assert len(standin.channels()) == 1


def test_server_side_create_needs_a_creator(sdk):
    _users(sdk, "coach", "client")
    channel = sdk.channel("messaging", "dm-abc", {"members": ["coach", "client"]})

    error = _api_error(lambda: channel.query(watch=False, state=False))

    assert error.status_code == 400
    assert "created_by" in error.error_message


def test_duplicate_message_id_is_refused_with_already_exists(sdk, standin):
    _users(sdk, "coach", "client")
    channel = _channel(sdk)
    channel.send_message({"id": "msg-1", "text": "hi"}, user_id="coach")

    error = _api_error(lambda: channel.send_message({"id": "msg-1", "text": "hi"}, "coach"))

    assert (error.status_code, error.error_code) == (400, 4)
    assert "a message with ID msg-1 already exists" in error.error_message
    assert len(standin.messages("dm-abc")) == 1


@pytest.mark.parametrize("message_id", ["a,b", "100%", "m" * 256])
def test_invalid_message_ids_are_refused(sdk, standin, message_id):
    _users(sdk, "coach", "client")
    channel = _channel(sdk)

    error = _api_error(lambda: channel.send_message({"id": message_id, "text": "x"}, "coach"))

    assert (error.status_code, error.error_code) == (400, 4)
    assert standin.messages() == []


def test_text_limit_is_5000_characters(sdk, standin):
    _users(sdk, "coach", "client")
    channel = _channel(sdk)
    channel.send_message({"id": "ok", "text": "x" * 5000}, "coach")

    error = _api_error(lambda: channel.send_message({"id": "long", "text": "x" * 5001}, "coach"))

    assert (error.status_code, error.error_code) == (400, 20)
    assert [m["id"] for m in standin.messages()] == ["ok"]


def test_send_to_a_missing_channel_is_404(sdk):
    _users(sdk, "coach")
    channel = sdk.channel("messaging", "nowhere")

    error = _api_error(lambda: channel.send_message({"text": "x"}, "coach"))

    assert (error.status_code, error.error_code) == (404, 16)


def test_messages_read_back_through_the_sdk(sdk):
    _users(sdk, "coach", "client")
    channel = _channel(sdk)
    channel.send_message({"id": "m-1", "text": "one"}, "coach")
    channel.send_message({"id": "m-2", "text": "two"}, "coach")

    found = channel.get_messages(["m-2", "m-1", "unknown"])["messages"]

    assert [(m["id"], m["text"]) for m in found] == [("m-2", "two"), ("m-1", "one")]


def test_wrong_secret_is_401_code_43(standin):
    other = StreamChat(standin.api_key, "not-the-secret-but-long-enough-0123456789", base_url=standin.url)

    error = _api_error(lambda: other.upsert_users([{"id": "x"}]))

    assert (error.status_code, error.error_code) == (401, 43)
    assert standin.users() == {}


def test_wrong_api_key_is_401(standin):
    other = StreamChat("another-key", standin.api_secret, base_url=standin.url)

    assert _api_error(lambda: other.upsert_users([{"id": "x"}])).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Stream-Auth-Type": "jwt"},  # no token
        {"Authorization": "server-token"},  # no auth type
        {"Authorization": "not.a.jwt", "Stream-Auth-Type": "jwt"},  # garbage token
    ],
)
def test_requests_without_a_valid_server_token_are_401(standin, headers):
    headers = dict(headers)
    if headers.get("Authorization") == "server-token":
        headers["Authorization"] = jwt.encode({"server": True}, standin.api_secret, "HS256")

    answer = requests.post(
        f"{standin.url}/users",
        params={"api_key": standin.api_key},
        json={"users": {"x": {"id": "x"}}},
        headers=headers,
        timeout=5,
    )

    assert answer.status_code == 401
    assert answer.json()["StatusCode"] == 401


def test_user_tokens_cannot_do_server_calls(standin):
    token = jwt.encode({"user_id": "client"}, standin.api_secret, "HS256")

    answer = requests.post(
        f"{standin.url}/users",
        params={"api_key": standin.api_key},
        json={"users": {"x": {"id": "x"}}},
        timeout=5,
        headers={"Authorization": token, "Stream-Auth-Type": "jwt"},
    )

    assert answer.status_code == 403


class ManualClock:
    """Epoch seconds that move only when the test says (rate-limit windows without sleeping)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_rate_limit_window_counts_down_then_429_then_resets():
    clock = ManualClock()
    with StreamStandIn(clock=clock) as standin:
        sdk = StreamChat(standin.api_key, standin.api_secret, base_url=standin.url)
        _users(sdk, "coach", "client")
        channel = _channel(sdk)
        standin.rate_limit(3, window=60.0)

        remaining = [channel.send_message({"text": f"m{i}"}, "coach").rate_limit().remaining for i in range(3)]
        clock.now += 59.9
        error = _api_error(lambda: channel.send_message({"text": "over"}, "coach"))
        clock.now += 0.1
        after = channel.send_message({"text": "next window"}, "coach").rate_limit()
        sdk.session.close()

    assert remaining == [2, 1, 0]
    assert (error.status_code, error.error_code) == (429, 9)
    assert after.limit == 3
    assert after.remaining == 2
    assert len(standin.messages()) == 4


def test_429_carries_the_rate_limit_headers():
    clock = ManualClock(1_800_000_000.25)
    with StreamStandIn(clock=clock) as standin:
        standin.rate_limit(1, window=60)
        params = {"api_key": standin.api_key}
        token = jwt.encode({"server": True}, standin.api_secret, "HS256")
        headers = {"Authorization": token, "Stream-Auth-Type": "jwt"}
        url = f"{standin.url}/channels/messaging/dm-x/message"
        requests.post(url, params=params, json={"message": {"text": "a"}}, headers=headers, timeout=5)
        clock.now += 30
        answer = requests.post(url, params=params, json={"message": {"text": "b"}}, headers=headers, timeout=5)

    assert answer.status_code == 429
    assert answer.json()["code"] == 9
    assert answer.headers["X-RateLimit-Limit"] == "1"
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert answer.headers["X-RateLimit-Reset"] == "1800000061"  # the window's start + 60 s, rounded up


def test_the_send_limit_leaves_other_endpoints_alone(sdk, standin):
    standin.rate_limit(1, window=60)
    for n in range(5):
        _users(sdk, f"user-{n}")

    assert len(standin.users()) == 5


def test_latency_knob_slows_each_call():
    with StreamStandIn(latency=0.05) as slow:
        client = StreamChat(slow.api_key, slow.api_secret, base_url=slow.url)
        started = time.perf_counter()
        client.upsert_users([{"id": "a"}])
        client.upsert_users([{"id": "b"}])

        assert time.perf_counter() - started >= 0.1


def test_fail_next_n_calls_then_recover(sdk, standin):
    standin.fail(500, times=2, endpoint="upsert_users")

    codes = [_api_error(lambda: _users(sdk, "a")).status_code for _ in range(2)]
    _users(sdk, "a")

    assert codes == [500, 500]
    assert "a" in standin.users()


def test_fail_one_message_id_until_cleared(sdk, standin):
    _users(sdk, "coach", "client")
    channel = _channel(sdk)
    standin.fail(503, times=None, message_id="poison")

    for _ in range(3):
        assert _api_error(lambda: channel.send_message({"id": "poison", "text": "x"}, "coach")).status_code == 503
    channel.send_message({"id": "fine", "text": "x"}, "coach")
    standin.clear_faults()
    channel.send_message({"id": "poison", "text": "x"}, "coach")

    assert [m["id"] for m in standin.messages()] == ["fine", "poison"]


def test_drop_closes_the_connection_without_an_answer(sdk, standin):
    standin.drop(endpoint="upsert_users")

    with pytest.raises(requests.ConnectionError):
        _users(sdk, "a")
    _users(sdk, "a")

    assert list(standin.users()) == ["a"]


def test_stopped_standin_refuses_even_kept_alive_connections(sdk, standin):
    _users(sdk, "a")
    standin.stop()

    with pytest.raises(requests.ConnectionError):
        _users(sdk, "b")


def test_concurrent_sends_are_atomic(standin):
    """50 threads race the same 10 ids and 40 unique ones: every id stored exactly once."""
    sdk = StreamChat(standin.api_key, standin.api_secret, base_url=standin.url)
    _users(sdk, "coach", "client")
    _channel(sdk)

    def send(message_id):
        own = StreamChat(standin.api_key, standin.api_secret, base_url=standin.url)
        try:
            own.channel("messaging", "dm-abc").send_message({"id": message_id, "text": "x"}, "coach")
            return "stored"
        except StreamAPIException as exc:
            return "duplicate" if "already exists" in exc.error_message else "error"

    ids = [f"dup-{n % 10}" for n in range(50)] + [f"own-{n}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(send, ids))

    assert outcomes.count("stored") == 50
    assert outcomes.count("duplicate") == 40
    assert sorted(m["id"] for m in standin.messages()) == sorted(set(ids))
