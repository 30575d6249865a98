"""Publishing through the official SDK: signed delivery, timing, dedup, headers, cancel, auth."""

import time

import httpx
import pytest
from qstash import QStash
from qstash.errors import QStashError, SignatureError
from qstash.log import LogState

from tests.receivers import Answer


def test_publish_is_delivered_signed_with_body_and_headers_unchanged(client, receiver, verify):
    """A published JSON message arrives once, signed for its URL, body byte-for-byte."""
    url = receiver.url("/hook?tenant=1")
    res = client.message.publish_json(
        url=url, body={"messageId": 7, "text": "héllo"}, headers={"Authorization": "Bearer sched-key", "X-Trace": "t1"}
    )
    (req,) = receiver.wait_for(1)
    assert req.method == "POST"
    assert req.path == "/hook?tenant=1"
    assert req.body == b'{"messageId": 7, "text": "h\\u00e9llo"}'
    assert req.header("Upstash-Message-Id") == res.message_id
    assert req.header("Upstash-Retried") == "0"
    assert req.header("Content-Type") == "application/json"
    assert req.header("Authorization") == "Bearer sched-key"
    assert req.header("X-Trace") == "t1"
    assert req.header("Upstash-Schedule-Id") is None
    verify(req, url)
    with pytest.raises(SignatureError):
        verify(req, receiver.url("/other"))  # the signature is bound to the destination URL


def test_raw_bytes_body_and_method_are_kept(client, receiver, verify):
    """A non-JSON body and Upstash-Method PUT are delivered as given."""
    url = receiver.url("/raw")
    client.message.publish(url=url, body="plain text\nline 2", content_type="text/plain", method="PUT")
    (req,) = receiver.wait_for(1)
    assert (req.method, req.body, req.header("Content-Type")) == ("PUT", b"plain text\nline 2", "text/plain")
    verify(req, url)


@pytest.mark.parametrize("how", ["not_before", "delay"])
def test_delayed_message_waits_until_due(client, receiver, how):
    """not_before (unix seconds) and delay ("2s") both hold the message back."""
    start = time.time()
    options = {"not_before": int(start) + 2} if how == "not_before" else {"delay": "2s"}
    due = int(start) + 2 if how == "not_before" else start + 2
    client.message.publish_json(url=receiver.url("/later"), body={}, **options)
    # No fixed wait for "nothing yet": the arrival time of the one delivery shows it was not early.
    (req,) = receiver.wait_for(1, timeout=5)
    assert due - 0.05 <= req.at < due + 1.0


def test_deduplication_id_returns_202_and_first_id(client, receiver, server, token):
    """A second publish with the same dedup id within 10 minutes is accepted but not sent."""
    first = client.message.publish_json(url=receiver.url("/d"), body={"n": 1}, deduplication_id="abc")
    again = client.message.publish_json(url=receiver.url("/d"), body={"n": 2}, deduplication_id="abc")
    assert (again.message_id, again.deduplicated, first.deduplicated) == (first.message_id, True, False)
    raw = httpx.post(
        f"{server.base_url}/v2/publish/{receiver.url('/d')}",
        content=b"x",
        headers={"Authorization": f"Bearer {token}", "Upstash-Deduplication-Id": "abc"},
    )
    assert raw.status_code == 202
    assert raw.json() == {"messageId": first.message_id, "deduplicated": True}
    receiver.wait_for(1)
    # A deduplicated publish creates no message, so the log shows the only one that can ever arrive.
    logged = client.log.list(filter={"url": receiver.url("/d")}).logs
    assert {log.message_id for log in logged} == {first.message_id}
    assert [r.body for r in receiver.received()] == [b'{"n": 1}']


def test_content_based_deduplication(client, receiver):
    """Same destination + body + headers dedups; a different body does not."""
    a = client.message.publish_json(url=receiver.url("/c"), body={"k": 1}, content_based_deduplication=True)
    b = client.message.publish_json(url=receiver.url("/c"), body={"k": 1}, content_based_deduplication=True)
    c = client.message.publish_json(url=receiver.url("/c"), body={"k": 2}, content_based_deduplication=True)
    assert b.deduplicated
    assert b.message_id == a.message_id
    assert not c.deduplicated
    assert c.message_id != a.message_id


def test_get_and_cancel_pending_message(client, receiver):
    """A pending message can be read and cancelled; it is then never delivered."""
    res = client.message.publish_json(url=receiver.url("/x"), body={"a": 1}, delay="1s", retries=1)
    msg = client.message.get(res.message_id)
    assert (msg.url, msg.body, msg.max_retries) == (receiver.url("/x"), '{"a": 1}', 1)
    assert msg.not_before >= msg.created_at + 1000
    client.message.cancel(res.message_id)
    with pytest.raises(QStashError, match="404"):
        client.message.get(res.message_id)
    with pytest.raises(QStashError, match="404"):
        client.message.cancel(res.message_id)
    # Instead of sleeping past the due time: a message published later with the same delay is
    # due no earlier, and due messages are claimed oldest first (each claim logs ACTIVE). Once
    # it has arrived, the cancelled one would have been claimed already if it ever were to be.
    client.message.publish_json(url=receiver.url("/sentinel"), body={}, delay="1s")
    receiver.wait_for(1, "/sentinel", timeout=5)
    states = [log.state for log in client.log.list(filter={"message_id": res.message_id}).logs]
    assert states == [LogState.CANCELED, LogState.CANCEL_REQUESTED, LogState.CREATED]
    assert receiver.received("/x") == []


def test_cancel_many(client, receiver):
    """Bulk cancel answers how many were cancelled."""
    ids = [client.message.publish_json(url=receiver.url("/m"), body={}, delay="5s").message_id for _ in range(3)]
    assert client.message.cancel_many(ids[:2]) == 2
    assert client.message.cancel_all() == 1


@pytest.mark.parametrize("bad", ["not-a-url", "ftp://x/y"])
def test_invalid_destination_is_400(client, bad):
    """Only absolute http(s) destinations are accepted."""
    with pytest.raises(QStashError, match="400"):
        client.message.publish(url=bad, body="x")


def test_wrong_or_missing_token_is_401(server, receiver):
    """Every /v2 call needs the bearer token; the SDK raises on 401."""
    bad = QStash("wrong-token", base_url=server.base_url, retry=False)
    with pytest.raises(QStashError, match="401"):
        bad.message.publish_json(url=receiver.url("/a"), body={})
    with pytest.raises(QStashError, match="401"):
        bad.schedule.list()
    missing = httpx.get(f"{server.base_url}/v2/schedules")
    assert missing.status_code == 401
    assert "error" in missing.json()
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200
    assert receiver.received() == []


def test_signing_keys_endpoint(client, keys):
    """GET /v2/keys gives what a Receiver needs."""
    got = client.signing_key.get()
    assert (got.current, got.next) == keys


def test_batch_publish(client, receiver):
    """message.batch_json publishes each item."""
    res = client.message.batch_json(
        [{"url": receiver.url("/b1"), "body": {"i": 1}}, {"url": receiver.url("/b2"), "body": {"i": 2}}]
    )
    assert len({r.message_id for r in res}) == 2
    assert sorted(r.path for r in receiver.wait_for(2)) == ["/b1", "/b2"]


def test_a_cookie_one_delivery_got_back_is_never_sent_with_the_next(client, receiver):
    """Each delivery stands alone, as in QStash: a Set-Cookie answer is not kept for later deliveries."""
    receiver.script("/jar", Answer(headers={"Set-Cookie": "session=abc123; Path=/"}))
    client.message.publish_json(url=receiver.url("/jar"), body={"n": 1})
    receiver.wait_for(1, "/jar")
    client.message.publish_json(url=receiver.url("/jar"), body={"n": 2})
    first, second = receiver.wait_for(2, "/jar")
    assert first.header("Cookie") is None
    assert second.header("Cookie") is None
