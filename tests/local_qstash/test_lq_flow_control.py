"""Flow control in the local server, through the official SDK: FlowControl on publish, batch and schedules;
parallelism and rate held per key; pause / resume, pin / unpin, reset rate; the waitlist in get and list."""

import sqlite3
import time

import httpx
import pytest
from qstash import QStash
from qstash.errors import QStashError
from qstash.message import FlowControl

from bench.fast_receiver import FastReceiver
from local_qstash.db import DB_FILE
from local_qstash.schema import FLOW_COLUMNS
from services.qstash.sdk_scheduler import QStashScheduler
from services.send_flow import plan_send_flow
from tests.clocks import ShiftedClock
from tests.receivers import Answer
from tests.waits import wait_until


def _list(client: QStash) -> dict:
    """GET /v2/flowControl (SDK 3.4.0 has no helper): waitlist size per key."""
    return {k["flowControlKey"]: k["waitListSize"] for k in client.http.request(path="/v2/flowControl", method="GET")}


def test_flow_control_is_accepted_on_publish_and_batch(client, receiver):
    """The SDK's FlowControl travels as Upstash-Flow-Control-Key/-Value and comes back on the message."""
    slow = FlowControl(key="chat-app", rate=5, parallelism=2, period="1m")
    held = client.message.publish_json(url=receiver.url("/a"), body={}, flow_control=slow, delay="1h")
    message = client.message.get(held.message_id)
    assert (message.flow_control.key, message.flow_control.rate) == ("chat-app", 5)
    assert (message.flow_control.parallelism, message.flow_control.period) == (2, 60)
    batch = client.message.batch_json(
        [
            {"url": receiver.url(f"/b{n}"), "body": {"n": n}, "flow_control": FlowControl(key="batch", rate=50)}
            for n in range(3)
        ]
    )
    assert len(batch) == 3
    receiver.wait_for(3)
    info = client.flow_control.get("batch")
    assert (info.rate_max, info.rate_period, info.rate_count, info.wait_list_size) == (50, 1, 3, 0)
    assert set(_list(client)) == {"chat-app", "batch"}


def test_schedule_passes_flow_control_to_each_occurrence(make_server, token, receiver):
    """A schedule keeps its FlowControl and every message it creates counts against that key."""
    real = time.time()
    server = make_server(clock=ShiftedClock(real - real % 60 - 4 - real))  # 4 s before a minute boundary
    client = QStash(token, base_url=server.base_url, retry=False)
    sid = client.schedule.create_json(
        destination=receiver.url("/tick"),
        cron="* * * * *",
        body={},
        flow_control=FlowControl(key="cron", rate=1, period="1h"),
    )
    assert client.schedule.get(sid).flow_control.key == "cron"
    receiver.wait_for(1, timeout=15)
    info = client.flow_control.get("cron")
    assert (info.rate_max, info.rate_period, info.rate_count) == (1, 3600, 1)


def test_parallelism_is_never_exceeded(client, receiver):
    """Twelve slow deliveries under parallelism 3: the receiver never answers more than 3 at once."""
    receiver.script("/slow", *[Answer(delay=0.3)] * 12)
    for _ in range(12):
        client.message.publish_json(
            url=receiver.url("/slow"), body={}, flow_control=FlowControl(key="p3", parallelism=3)
        )
    seen = wait_until(lambda: client.flow_control.get("p3").parallelism_count or None)
    assert seen <= 3
    receiver.wait_for(12, timeout=20)
    assert receiver.max_active == 3  # reached, never passed
    wait_until(lambda: client.flow_control.get("p3").parallelism_count == 0)


def test_pause_holds_messages_and_resume_releases_them(client, receiver):
    """A paused key's messages wait in its waitlist while others flow; resume sends them all."""
    key = FlowControl(key="support-pause", parallelism=5)
    client.message.publish_json(url=receiver.url("/k"), body={}, flow_control=key)
    receiver.wait_for(1)
    client.flow_control.pause("support-pause")
    assert client.flow_control.get("support-pause").is_paused
    for _ in range(4):
        client.message.publish_json(url=receiver.url("/k"), body={}, flow_control=key)
    wait_until(lambda: client.flow_control.get("support-pause").wait_list_size == 4)
    client.message.publish_json(url=receiver.url("/free"), body={})  # published after them, not held
    receiver.wait_for(1, path="/free")
    assert len(receiver.received("/k")) == 1
    assert _list(client)["support-pause"] == 4
    client.flow_control.resume("support-pause")
    receiver.wait_for(5, path="/k")
    info = wait_until(lambda: (i := client.flow_control.get("support-pause")).wait_list_size == 0 and i)
    assert not info.is_paused


def test_rate_waitlist_reset_and_pins(client, receiver):
    """rate=1 per hour: one goes, the rest wait; reset rate lets one more; a pin overrides what messages ask."""
    hourly = FlowControl(key="hourly", rate=1, period=3600)
    for _ in range(5):
        client.message.publish_json(url=receiver.url("/h"), body={}, flow_control=hourly)
    receiver.wait_for(1)
    info = wait_until(lambda: (i := client.flow_control.get("hourly")).wait_list_size == 4 and i)
    assert (info.rate_max, info.rate_count, info.rate_period) == (1, 1, 3600)
    assert info.rate_period_start <= time.time() + 1
    assert _list(client)["hourly"] == 4
    client.flow_control.reset_rate("hourly")
    receiver.wait_for(2)
    client.flow_control.pin("hourly", {"rate": 2})  # pinning starts a fresh period: two more go
    receiver.wait_for(4)
    client.message.publish_json(url=receiver.url("/h"), body={}, flow_control=hourly)  # asks for 1: ignored
    info = wait_until(lambda: (i := client.flow_control.get("hourly")).wait_list_size == 2 and i)
    assert (info.rate_max, info.is_pinned_rate, info.is_pinned_parallelism) == (2, True, False)
    client.flow_control.unpin("hourly", {"rate": True})
    client.message.publish_json(url=receiver.url("/h"), body={}, flow_control=hourly)
    info = client.flow_control.get("hourly")
    assert (info.rate_max, info.is_pinned_rate) == (1, False)
    assert len(receiver.received("/h")) == 4


def test_global_parallelism_and_unknown_keys(client, server):
    """Global parallelism is the server's worker count; an unknown key is a 404 for every call."""
    info = client.flow_control.get_global_parallelism()
    assert (info.parallelism_max, info.parallelism_count) == (server.config.workers, 0)
    for call in (
        lambda: client.flow_control.get("nobody"),
        lambda: client.flow_control.pause("nobody"),
        lambda: client.flow_control.resume("nobody"),
        lambda: client.flow_control.pin("nobody", {"rate": 1}),
        lambda: client.flow_control.unpin("nobody", {"rate": True}),
        lambda: client.flow_control.reset_rate("nobody"),
    ):
        with pytest.raises(QStashError, match="404"):
            call()


@pytest.mark.parametrize(
    "headers",
    [
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=abc"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "period=10s"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=1, period=8d"},
        {"Upstash-Flow-Control-Key": "k", "Upstash-Flow-Control-Value": "rate=1, speed=2"},
        {"Upstash-Flow-Control-Key": "a/b", "Upstash-Flow-Control-Value": "rate=1"},
        {"Upstash-Flow-Control-Value": "rate=1"},
    ],
    ids=["not-a-number", "no-limit", "period-over-a-week", "unknown-name", "slash-in-key", "value-without-key"],
)
def test_malformed_flow_control_is_400(server, token, receiver, headers):
    """Bad flow-control headers are refused with a reason; nothing is stored."""
    answer = httpx.post(
        f"{server.base_url}/v2/publish/{receiver.url('/x')}",
        headers={"Authorization": f"Bearer {token}", **headers},
        content=b"{}",
    )
    assert answer.status_code == 400
    assert "Flow-Control" in answer.json()["error"]


@pytest.mark.timed
def test_rate_is_held_within_5_percent_over_60_seconds(client, record_property):
    """TIMED (about 70 s): 700 messages under rate=10 per second to a fast receiver; in the first 60 s after the
    first delivery the receiver gets 600 ± 5 %."""
    fast = FastReceiver().start()
    try:
        control = FlowControl(key="ten-a-second", rate=10, period=1)
        for start in range(0, 700, 100):
            client.message.batch_json(
                [{"url": fast.url("/r"), "body": {"n": n}, "flow_control": control} for n in range(start, start + 100)]
            )
        fast.wait_for(610, timeout=90)
        times = sorted(r.at for r in fast.received())
        in_window = sum(1 for t in times if t < times[0] + 60)
        record_property("deliveries_in_first_60_s", in_window)
        assert abs(in_window - 600) <= 30, in_window
    finally:
        fast.stop()


def test_a_version_1_data_file_is_upgraded_and_keeps_its_messages(make_server, tmp_path, token, receiver):
    """A file from before flow control (schema 1) gains the columns and table; its pending message is delivered."""
    data_dir = tmp_path / "v1"
    make_server(data_dir=data_dir).stop()
    conn = sqlite3.connect(data_dir / DB_FILE, isolation_level=None)
    drops = [
        f"ALTER TABLE {t} DROP COLUMN {c};"
        for t in ("messages", "schedules")
        for c in (c.split()[0] for c in FLOW_COLUMNS)
    ]
    conn.executescript(
        "DROP INDEX messages_flow; DROP TABLE flow_keys;" + "".join(drops) + "PRAGMA user_version = 1;"
        "INSERT INTO messages (id, url, method, header, body, max_retries, not_before_ms, created_ms, due_ms, state)"
        f" VALUES ('msg_v1', '{receiver.url('/old')}', 'POST', '{{}}', x'', 3, 0, 0, 0, 'CREATED');"
    )
    conn.close()
    server = make_server(data_dir=data_dir)
    (old,) = receiver.wait_for(1, path="/old")
    assert old.header("Upstash-Message-Id") == "msg_v1"
    client = QStash(token, base_url=server.base_url, retry=False)
    client.message.publish_json(url=receiver.url("/new"), body={}, flow_control=FlowControl(key="after", rate=3))
    receiver.wait_for(1, path="/new")
    assert client.flow_control.get("after").rate_max == 3


def test_the_products_chunks_carry_the_chat_apps_flow_control(client, receiver):
    """QStashScheduler.publish_chunks sends every chunk under the send flow: one key, its rate, period, parallelism."""
    flow = plan_send_flow(1000, 500, "stream-app")
    scheduler = QStashScheduler(client, receiver.url("/hook"), "webhook-key")
    ids = scheduler.publish_chunks([({"clients": [str(n)]}, f"chunk-{n}") for n in range(3)], flow)
    assert len(ids) == 3
    receiver.wait_for(1, path="/hook/chunk")  # one per period: the others wait
    info = wait_until(lambda: (i := client.flow_control.get(flow.key)).wait_list_size == 2 and i)
    assert (info.rate_max, info.rate_period, info.parallelism_max) == (1, flow.period, 2)
    assert len(receiver.received("/hook/chunk")) == 1
