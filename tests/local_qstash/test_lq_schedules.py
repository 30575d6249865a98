"""Schedules through the SDK: upsert, read, pause/resume, delete, firing, DST, missed slots."""

import time
from datetime import datetime

import pytest
from qstash import QStash
from qstash.errors import QStashError

from local_qstash.cron import next_fire_ms, split_cron
from local_qstash.options import BadRequest
from tests.clocks import FixedClock, ShiftedClock
from tests.waits import wait_until


def _ms(text: str) -> int:
    """ISO time to epoch milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_create_upsert_get_list_pause_resume_delete(client, receiver):
    """The same schedule id twice is one schedule with the newer cron."""
    url = receiver.url("/tick")
    sid = client.schedule.create_json(
        destination=url,
        cron="0 9 * * *",
        body={"messageId": 1},
        schedule_id="msg-1.daily_ny",
        headers={"Authorization": "Bearer k"},
        retries=2,
    )
    again = client.schedule.create_json(
        destination=url, cron="CRON_TZ=Europe/Paris 30 8 * * 1", body={"messageId": 1}, schedule_id="msg-1.daily_ny"
    )
    assert sid == again == "msg-1.daily_ny"
    (only,) = client.schedule.list()
    got = client.schedule.get(sid)
    assert only.schedule_id == got.schedule_id == sid
    assert (got.cron, got.destination, got.body, got.paused) == (
        "CRON_TZ=Europe/Paris 30 8 * * 1",
        url,
        '{"messageId": 1}',
        False,
    )
    assert got.next_schedule_time > got.created_at
    client.schedule.pause(sid)
    assert client.schedule.get(sid).paused is True
    client.schedule.resume(sid)
    assert client.schedule.get(sid).paused is False
    client.schedule.delete(sid)
    assert client.schedule.list() == []
    with pytest.raises(QStashError, match="404"):
        client.schedule.get(sid)


def test_generated_schedule_id_and_post_pause(client, receiver, server, token):
    """Without an id one is generated; POST .../pause is accepted as well as PATCH."""
    sid = client.schedule.create(destination=receiver.url("/p"), cron="*/5 * * * *")
    assert sid.startswith("scd_")
    client.http.request(path=f"/v2/schedules/{sid}/pause", method="POST", parse_response=False)
    assert client.schedule.get(sid).paused is True


@pytest.mark.parametrize(
    ("cron", "schedule_id"),
    [
        ("not a cron", None),
        ("CRON_TZ=Mars/Olympus 0 9 * * *", None),
        ("0 9 * * *", "bad id!"),
        ("0 0 9 * * *", None),
    ],
)
def test_invalid_cron_zone_or_id_is_400(client, receiver, cron, schedule_id):
    """Bad cron, unknown zone or an id outside [A-Za-z0-9._-] is refused."""
    with pytest.raises(QStashError, match="400"):
        client.schedule.create(destination=receiver.url("/x"), cron=cron, schedule_id=schedule_id)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-07-10T15:00:00+00:00", "2024-07-11T13:00:00+00:00"),
        ("2024-01-10T15:00:00+00:00", "2024-01-11T14:00:00+00:00"),
        ("2024-03-09T20:00:00+00:00", "2024-03-10T13:00:00+00:00"),
        ("2024-11-02T20:00:00+00:00", "2024-11-03T14:00:00+00:00"),
    ],
)
def test_cron_tz_keeps_wall_clock_across_dst(now, expected):
    """09:00 New York is 13:00 UTC in summer, 14:00 UTC in winter, right after each change."""
    assert next_fire_ms("CRON_TZ=America/New_York 0 9 * * *", _ms(now)) == _ms(expected)


def test_split_cron_rejects_bad_input():
    """Zone and five fields are checked."""
    assert split_cron("CRON_TZ=Asia/Tokyo  0 9 * * *")[1] == "0 9 * * *"
    with pytest.raises(BadRequest):
        split_cron("CRON_TZ=Nowhere/City 0 9 * * *")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2024-07-01T12:00:00+00:00", "2024-07-01T13:00:00+00:00"),
        ("2024-01-15T12:00:00+00:00", "2024-01-15T14:00:00+00:00"),
    ],
)
def test_next_schedule_time_via_sdk_uses_injected_clock(make_server, token, receiver, now, expected):
    """The server's own clock decides nextScheduleTime; the SDK reads it back."""
    server = make_server(clock=FixedClock(_ms(now) / 1000))
    client = QStash(token, base_url=server.base_url, retry=False)
    sid = client.schedule.create(destination=receiver.url("/ny"), cron="CRON_TZ=America/New_York 0 9 * * *")
    got = client.schedule.get(sid)
    assert got.created_at == _ms(now)
    assert got.next_schedule_time == _ms(expected)


def _clock_just_before_minute(lead: float = 0.4) -> ShiftedClock:
    """A clock a little before the last minute boundary (never ahead of real time, so
    signatures stay valid for a real-time Receiver)."""
    real = time.time()
    boundary = real - real % 60
    return ShiftedClock(boundary - lead - real)


def test_schedule_fires_with_schedule_id_header(make_server, token, receiver, verify):
    """An occurrence is a signed delivery carrying Upstash-Schedule-Id, recorded on the schedule."""
    # Seconds of lead: on a loaded machine creating the schedule must still finish before the boundary.
    server = make_server(clock=_clock_just_before_minute(lead=4))
    client = QStash(token, base_url=server.base_url, retry=False)
    url = receiver.url("/every-minute")
    sid = client.schedule.create_json(
        destination=url, cron="* * * * *", body={"messageId": 42}, schedule_id="s-42", headers={"X-Coach": "c1"}
    )
    (req,) = receiver.wait_for(1, timeout=15)
    assert req.header("Upstash-Schedule-Id") == sid
    assert req.header("X-Coach") == "c1"
    assert req.body == b'{"messageId": 42}'
    verify(req, url)
    # The answer is recorded on the schedule shortly after it arrives.
    got = wait_until(lambda: _with_last_state(client.schedule.get(sid), "SUCCESS"))
    assert got.last_schedule_time is not None
    logs = client.log.list(filter={"schedule_id": sid}).logs
    assert logs
    assert all(log.schedule_id == sid for log in logs)


def test_paused_schedule_does_not_fire(make_server, token, receiver):
    """Pausing stops occurrences."""
    clock = _clock_just_before_minute(30)  # far from the boundary: setup cannot reach it, however slow
    server = make_server(clock=clock)
    client = QStash(token, base_url=server.base_url, retry=False)
    sid = client.schedule.create(destination=receiver.url("/paused"), cron="* * * * *")
    client.schedule.pause(sid)
    client.schedule.create(destination=receiver.url("/twin"), cron="* * * * *")
    clock.offset += 29.9  # now just before the boundary
    # Instead of sleeping past the minute: an unpaused twin fires at the same boundary; once it
    # has, that boundary has been handled, and the paused schedule must have made no message.
    receiver.wait_for(1, "/twin", timeout=5)
    assert client.log.list(filter={"schedule_id": sid}).logs == []
    assert receiver.received("/paused") == []


def test_schedule_missed_while_down_fires_once_on_start(make_server, token, receiver, tmp_path):
    """Ten minutes of missed slots produce one delivery at start, not ten."""
    data_dir = tmp_path / "missed"
    real = time.time()
    # One second past a minute boundary, ten minutes ago: nothing can fire before stop().
    first = make_server(clock=ShiftedClock(-600 - real % 60 + 1), data_dir=data_dir)
    QStash(token, base_url=first.base_url, retry=False).schedule.create(
        destination=receiver.url("/missed"), cron="* * * * *", schedule_id="m1"
    )
    first.stop()  # "down" until real time, 10 minutes later by its clock
    assert receiver.received() == []
    second = make_server(clock=ShiftedClock(0), data_dir=data_dir)
    client = QStash(token, base_url=second.base_url, retry=False)
    (req,) = receiver.wait_for(1, timeout=3)
    assert req.header("Upstash-Schedule-Id") == "m1"
    # No fixed wait for "no more copies": once the one occurrence is recorded, the log shows every
    # message the schedule made, and a next fire time in the future means no missed slot is left.
    wait_until(lambda: _with_last_state(client.schedule.get("m1"), "SUCCESS"))
    made = {log.message_id for log in client.log.list(filter={"schedule_id": "m1"}).logs}
    assert made == {req.header("Upstash-Message-Id")}
    assert client.schedule.get("m1").next_schedule_time > time.time() * 1000
    assert len(receiver.received()) == 1


def _with_last_state(schedule, state: str):
    """The schedule if its last run's message ended in `state` (SUCCESS / FAIL), else None."""
    states = [s.value for s in (schedule.last_schedule_states or {}).values()]
    return schedule if states == [state] else None
