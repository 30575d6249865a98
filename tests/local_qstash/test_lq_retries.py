"""Failure handling: backoff retries, Retry-After, 489 non-retryable, timeouts, DLQ via the SDK."""

import itertools
import json

import pytest
from qstash.errors import QStashError
from qstash.log import LogState

from local_qstash.outcomes import backoff_s
from tests.receivers import Answer
from tests.waits import wait_until


def test_backoff_follows_qstash_formula():
    """min(86400, e^(2.5 n)) seconds, times the configured scale."""
    assert backoff_s(1, 1.0) == pytest.approx(12.18, abs=0.01)
    assert backoff_s(2, 1.0) == pytest.approx(148.41, abs=0.01)
    assert backoff_s(10, 1.0) == 86400
    assert backoff_s(2, 0.001) == pytest.approx(0.148, abs=0.001)


def test_failed_attempts_are_retried_with_growing_backoff(client, receiver, verify):
    """500, 500, then 200: three signed attempts, Upstash-Retried 0,1,2, spaced by the backoff."""
    receiver.script("/flaky", Answer(500), Answer(503))
    url = receiver.url("/flaky")
    res = client.message.publish_json(url=url, body={"x": 1})
    attempts = receiver.wait_for(3, timeout=5)
    assert [r.header("Upstash-Retried") for r in attempts] == ["0", "1", "2"]
    assert {r.header("Upstash-Message-Id") for r in attempts} == {res.message_id}
    for req in attempts:
        verify(req, url)
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.010
    assert gaps[1] >= 0.140
    # Once the 200 is recorded as DELIVERED the message is finished: no fourth attempt can follow.
    wait_until(lambda: client.log.list(filter={"message_id": res.message_id, "state": LogState.DELIVERED}).logs)
    assert len(receiver.received()) == 3
    states = [log.state for log in client.log.list(filter={"message_id": res.message_id}).logs]
    assert states[0] == LogState.DELIVERED
    assert states.count(LogState.RETRY) == 2


def test_retry_after_header_is_honoured(client, receiver):
    """A 429 with Retry-After: 1 delays the next attempt by about a second (not scaled)."""
    receiver.script("/busy", Answer(429, {"Retry-After": "1"}))
    client.message.publish_json(url=receiver.url("/busy"), body={})
    first, second = receiver.wait_for(2, timeout=5)
    assert 0.95 <= second.at - first.at < 2.0


def test_489_non_retryable_goes_to_dlq_after_one_attempt(client, receiver):
    """489 + Upstash-NonRetryable-Error: true is dead-lettered at once."""
    receiver.script("/bad", Answer(489, {"Upstash-NonRetryable-Error": "true"}, body=b"coach mismatch"))
    res = client.message.publish_json(url=receiver.url("/bad"), body={"m": 1}, retries=3)
    receiver.wait_for(1)
    entry = _wait_dlq(client, 1)[0]
    assert (entry.message_id, entry.response_status, entry.response_body) == (res.message_id, 489, "coach mismatch")
    # The DLQ entry is written with the FAILED state: a dead-lettered message is never retried.
    assert len(receiver.received()) == 1


def test_exhausted_retries_go_to_dlq_with_failure_callback(client, receiver):
    """retries=2 and always 500: 3 attempts, then DLQ, then the failure callback is called."""
    receiver.script("/down", *[Answer(500)] * 3)
    res = client.message.publish_json(
        url=receiver.url("/down"), body={"m": 2}, retries=2, failure_callback=receiver.url("/failed")
    )
    assert len(receiver.wait_for(3, "/down", timeout=5)) == 3
    (callback,) = receiver.wait_for(1, "/failed", timeout=5)
    payload = json.loads(callback.body)
    assert payload["sourceMessageId"] == res.message_id
    assert payload["status"] == 500
    entry = _wait_dlq(client, 1)[0]
    assert (entry.message_id, entry.max_retries, payload["dlqId"]) == (res.message_id, 2, entry.dlq_id)
    with pytest.raises(QStashError, match="404"):
        client.message.get(res.message_id)


def test_timeout_counts_as_failure(make_server, receiver, token):
    """An answer slower than the timeout is a failed attempt and is retried."""
    from qstash import QStash

    server = make_server(timeout=0.3)
    client = QStash(token, base_url=server.base_url, retry=False)
    receiver.script("/slow", Answer(200, delay=1.0))
    client.message.publish_json(url=receiver.url("/slow"), body={})
    _first, second = receiver.wait_for(2, timeout=5)
    assert second.header("Upstash-Retried") == "1"
    errors = [log.error for log in client.log.list(filter={"state": LogState.ERROR}).logs]
    assert errors
    assert "timed out" in errors[0]


def test_connection_refused_is_retried_then_dead_lettered(client):
    """Nobody listening is a failure like any other."""
    res = client.message.publish_json(url="http://127.0.0.1:9/none", body={}, retries=1)
    entry = _wait_dlq(client, 1)[0]
    assert entry.message_id == res.message_id
    assert entry.response_status == 0


def test_dlq_list_get_delete_and_retry_through_the_sdk(client, receiver, verify):
    """Dead letters can be listed, read, deleted and re-published."""
    receiver.script("/dl", *[Answer(500)] * 4)
    ids = [client.message.publish_json(url=receiver.url("/dl"), body={"n": n}, retries=0).message_id for n in range(4)]
    entries = _wait_dlq(client, 4)
    assert {e.message_id for e in entries} == set(ids)
    page = client.dlq.list(count=3)
    assert len(page.messages) == 3
    assert page.cursor
    rest = client.dlq.list(count=3, cursor=page.cursor)
    assert len(rest.messages) == 1
    assert rest.cursor is None
    assert client.dlq.list(filter={"message_id": ids[0]}).messages[0].message_id == ids[0]
    one = client.dlq.get(entries[0].dlq_id)
    assert one.body == entries[0].body
    assert one.response_status == 500
    client.dlq.delete(entries[0].dlq_id)
    with pytest.raises(QStashError, match="404"):
        client.dlq.get(entries[0].dlq_id)
    assert client.dlq.delete_many([entries[1].dlq_id, "nope"]) == 1
    # qstash 3.4.0 has no dlq.retry method: call the REST path through the SDK's own client.
    answer = client.http.request(path=f"/v2/dlq/retry/{entries[2].dlq_id}", method="POST")
    new_id = answer["messageId"]
    assert new_id not in ids
    (req,) = [r for r in receiver.wait_for(5, timeout=5) if r.header("Upstash-Message-Id") == new_id]
    assert req.body == entries[2].body.encode()
    verify(req, receiver.url("/dl"))
    assert [e.dlq_id for e in client.dlq.list().messages] == [entries[3].dlq_id]


def _wait_dlq(client, count, timeout=5.0):
    """Poll the DLQ through the SDK until it holds `count` entries; return them."""

    def enough():
        messages = client.dlq.list().messages
        return messages if len(messages) >= count else None

    return wait_until(enough, timeout)
