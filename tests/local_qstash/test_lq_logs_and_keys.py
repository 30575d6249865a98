"""Logs through the SDK, signing-key rotation across restarts, and key storage."""

import json
import os
import stat

from qstash import QStash, Receiver
from qstash.log import LogState

from local_qstash.config import KEY_FILE, config_from_args, load_secrets
from tests.waits import wait_until


def test_logs_filter_and_cursor(client, receiver):
    """client.log.list filters by message id and state, and pages with a cursor."""
    ids = [client.message.publish_json(url=receiver.url("/l"), body={"i": i}).message_id for i in range(3)]
    receiver.wait_for(3)
    # Answers are recorded in batches after they arrive: wait until all three are logged.
    wait_until(lambda: len(client.log.list(filter={"state": LogState.DELIVERED}).logs) == 3)
    mine = client.log.list(filter={"message_id": ids[1]}).logs
    assert [log.state for log in mine] == [LogState.DELIVERED, LogState.ACTIVE, LogState.CREATED]
    assert {log.message_id for log in mine} == {ids[1]}
    assert mine[0].url == receiver.url("/l")
    delivered = client.log.list(filter={"state": LogState.DELIVERED}).logs
    assert sorted(log.message_id for log in delivered) == sorted(ids)
    seen, cursor = [], None
    while True:
        page = client.log.list(count=4, cursor=cursor)
        assert len(page.logs) <= 4
        seen += page.logs
        cursor = page.cursor
        if cursor is None:
            break
    assert len(seen) == 9
    assert len({(entry.message_id, entry.state, entry.time) for entry in seen}) == 9
    assert [entry.time for entry in seen] == sorted((entry.time for entry in seen), reverse=True)
    recent = client.log.list(filter={"from_time": seen[0].time, "url": receiver.url("/l")}).logs
    assert recent
    assert all(entry.time >= seen[0].time for entry in recent)


def test_logs_endpoint_alias(client, receiver):
    """/v2/logs answers like /v2/events."""
    client.message.publish_json(url=receiver.url("/a"), body={})
    receiver.wait_for(1)
    events = client.http.request(path="/v2/events", method="GET")
    logs = client.http.request(path="/v2/logs", method="GET")
    assert logs["events"]
    assert logs["events"][-1] == events["events"][-1]


def test_delivery_after_key_rotation(make_server, token, receiver, tmp_path):
    """Published under keys (A,B), delivered after restart with (B,C): Receiver(B,C) accepts."""
    a, b, c = ("key-a-" + "x" * 32, "key-b-" + "y" * 32, "key-c-" + "z" * 32)
    data_dir = tmp_path / "rot"
    first = make_server(data_dir=data_dir, current=a, next_=b)
    url = receiver.url("/rot")
    client = QStash(token, base_url=first.base_url, retry=False)
    client.message.publish_json(url=url, body={"n": 1})
    (before,) = receiver.wait_for(1)
    Receiver(a, b).verify(signature=before.header("Upstash-Signature"), body=before.body.decode(), url=url)
    client.message.publish_json(url=url, body={"n": 2}, delay="1s")
    first.stop()
    second = make_server(data_dir=data_dir, current=b, next_=c)
    after = receiver.wait_for(2, timeout=4)[1]
    assert after.body == b'{"n": 2}'
    Receiver(b, c).verify(signature=after.header("Upstash-Signature"), body=after.body.decode(), url=url)
    assert QStash(token, base_url=second.base_url).signing_key.get().current == b


def test_generated_secrets_are_private_and_reused(tmp_path):
    """Without env, token and keys are generated once into keys.json (0600) and reused."""
    first = load_secrets(tmp_path, {})
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_secrets(tmp_path, {}) == first
    assert len(set(first.values())) == 3
    assert all(len(v) >= 32 for v in first.values())


def test_env_secrets_win(tmp_path):
    """QSTASH_* env values override stored ones, and the repr hides them."""
    env = {"QSTASH_TOKEN": "t" * 40, "QSTASH_CURRENT_SIGNING_KEY": "c" * 40, "QSTASH_NEXT_SIGNING_KEY": "n" * 40}
    config = config_from_args(["--data-dir", str(tmp_path), "--port", "0"], environ=env)
    assert (config.token, config.current_signing_key, config.next_signing_key) == tuple(env.values())
    assert "t" * 40 not in repr(config)
    assert not (tmp_path / KEY_FILE).exists() or json.loads((tmp_path / KEY_FILE).read_text()) == {}
