"""Hardening items 14 and 17-21: private files, redacted logs, kept outcomes, health, refused files, states, clock."""

import base64
import math
import os
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from qstash import QStash
from qstash.log import LogState

from local_qstash.config import KEY_FILE, load_secrets
from local_qstash.db import DB_FILE
from tests.clocks import ShiftedClock
from tests.receivers import Answer
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def umask(mask: int):
    """Run a block under a given process umask."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextmanager
def write_locked(path: Path):
    """Hold the database's write lock from another connection (what a stuck writer or backup does)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def rows(path: Path, sql: str, params=()) -> list:
    """Read the server's database from a separate connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def mode(path: Path) -> int:
    """Permission bits of a file or directory."""
    return stat.S_IMODE(path.stat().st_mode)


# --- 14: files are private, the forwarded bearer key stays out of the logs ---------------------------------


def test_14_data_dir_and_its_files_are_private_under_usual_umask(make_server, token, receiver, tmp_path):
    """Database, -wal, -shm and keys.json are 0600 in a 0700 directory, even with umask 022."""
    with umask(0o022):
        data_dir = tmp_path / "fresh"
        load_secrets(data_dir, {})
        server = make_server(data_dir=data_dir)
        QStash(token, base_url=server.base_url, retry=False).message.publish_json(url=receiver.url("/p"), body={})
        receiver.wait_for(1)
        names = {p.name for p in data_dir.iterdir()}
        assert {DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", KEY_FILE} <= names
        assert mode(data_dir) == 0o700
        assert {p.name: mode(p) for p in data_dir.iterdir()} == dict.fromkeys(names, 0o600)
        # A data dir left readable by an older version is tightened on the next start.
        server.stop()
        data_dir.chmod(0o755)
        for path in data_dir.iterdir():
            path.chmod(0o644)
        make_server(data_dir=data_dir)
        load_secrets(data_dir, {})
        assert mode(data_dir) == 0o700
        assert {p.name: mode(p) for p in data_dir.iterdir()} == {p.name: 0o600 for p in data_dir.iterdir()}


def test_14_forwarded_bearer_key_is_redacted_in_event_log(server, client, receiver, tmp_path):
    """The webhook gets the real Authorization; the event table and /v2/events|logs only a marker."""
    secret = "sk-live-" + "q" * 24
    url = receiver.url("/hook")
    res = client.message.publish_json(
        url=url, body={"m": 1}, headers={"Authorization": f"Bearer {secret}"}, callback=receiver.url("/cb")
    )
    (delivered,) = receiver.wait_for(1, "/hook")
    assert delivered.header("Authorization") == f"Bearer {secret}"
    receiver.wait_for(1, "/cb")
    wait_until(lambda: len(client.log.list(filter={"state": LogState.DELIVERED}).logs) == 2)
    db = tmp_path / "lq" / DB_FILE
    assert not [r for r in rows(db, "SELECT * FROM events") if secret in repr(r)]
    auth = {"Authorization": f"Bearer {server.config.token}"}
    for path in ("/v2/events", "/v2/logs"):
        answer = httpx.get(server.base_url + path, headers=auth)
        assert secret not in answer.text
        events = answer.json()["events"]
        # The callback's body quotes the source message's headers: they are redacted there too.
        bodies = [base64.b64decode(e["body"]).decode() for e in events if e.get("body")]
        assert not [b for b in bodies if secret in b]
        mine = [e for e in events if e["messageId"] == res.message_id]
        assert mine
        assert all(e["header"]["Authorization"] == ["Bearer [redacted]"] for e in mine)
    # Delivery needs the real header, so the messages table (0600) still has it.
    assert rows(db, "SELECT COUNT(*) FROM messages WHERE header LIKE ?", (f"%{secret}%",)) == [(1,)]


# --- 17: delivery outcomes survive a store that refuses writes for a while --------------------------------


def test_17_outcomes_recorded_after_database_was_locked_and_never_redelivered(make_server, token, receiver, tmp_path):
    """Answers that arrive while the database is locked are recorded later: once each, none ACTIVE, none resent."""
    data_dir, n = tmp_path / "locked", 20
    db = data_dir / DB_FILE
    server = make_server(data_dir=data_dir, workers=n, busy_timeout=0.1)
    client = QStash(token, base_url=server.base_url, retry=False)
    receiver.script("/slow", *[Answer(delay=1.5)] * n)
    # One batch: all are claimed together, so every answer is still to come when the lock is taken.
    published = client.message.batch_json([{"url": receiver.url("/slow"), "body": {"i": i}} for i in range(n)])
    ids = {answer.message_id for answer in published}
    assert len(receiver.wait_for(n, "/slow")) == n
    with write_locked(db) as locked:
        # Part of the scenario: the answers come back while no write can succeed.
        time.sleep(2.5)
        assert locked.execute("SELECT COUNT(*) FROM events WHERE state = 'DELIVERED'").fetchone() == (0,)
    wait_until(lambda: rows(db, "SELECT state, COUNT(*) FROM messages GROUP BY state") == [("DELIVERED", n)], 10)
    delivered = rows(db, "SELECT message_id FROM events WHERE state = 'DELIVERED'")
    assert sorted(m for (m,) in delivered) == sorted(ids)
    server.stop()
    restarted = make_server(data_dir=data_dir)
    # Nothing is left to deliver again; a message published now arrives alone.
    assert rows(db, "SELECT COUNT(*) FROM messages WHERE state != 'DELIVERED'") == [(0,)]
    QStash(token, base_url=restarted.base_url, retry=False).message.publish_json(url=receiver.url("/after"), body={})
    receiver.wait_for(1, "/after")
    assert len(receiver.received("/slow")) == n


# --- 18: /healthz tells whether the database can be written ----------------------------------------------


def test_18_healthz_is_503_while_the_database_cannot_be_written(server, tmp_path):
    """A real write decides: 200 normally, 503 (quickly) while another writer holds the lock."""
    health = server.base_url + "/healthz"
    assert httpx.get(health).status_code == 200
    with write_locked(tmp_path / "lq" / DB_FILE):
        started = time.monotonic()
        answer = httpx.get(health, timeout=10)
        assert answer.status_code == 503
        assert time.monotonic() - started < 3
        assert answer.json()["status"] != "ok"
    assert httpx.get(health).status_code == 200


# --- 19: an unusable database file is refused, never replaced ---------------------------------------------


def _newer_version(path: Path) -> None:
    """A database written by a future version of the server."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE messages (id TEXT)")
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "make_file",
    [
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: p.write_bytes(b"not a database, just some bytes\n" * 200), id="garbage"),
        pytest.param(_newer_version, id="newer-version"),
    ],
)
def test_19_cli_refuses_unusable_database_with_one_line(tmp_path, keys, token, make_file):
    """The real CLI exits non-zero with one line on stderr and leaves the file as it was."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / DB_FILE
    make_file(db)
    before = db.read_bytes()
    env = {**os.environ, "QSTASH_TOKEN": token, "QSTASH_CURRENT_SIGNING_KEY": keys[0]}
    env["QSTASH_NEXT_SIGNING_KEY"] = keys[1]
    command = [sys.executable, "-m", "local_qstash", "--port", "0", "--data-dir", str(data_dir)]
    done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=15)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert DB_FILE in lines[0]
    assert "listening" not in done.stdout
    assert db.read_bytes() == before


def test_19_fresh_data_dir_gets_a_versioned_schema_and_an_older_one_is_upgraded(make_server, tmp_path):
    """A new file carries a schema version; the first release's unversioned file is upgraded in place."""
    data_dir = tmp_path / "old"
    db = data_dir / DB_FILE
    make_server(data_dir=data_dir).stop()
    (version,) = rows(db, "PRAGMA user_version")[0]
    assert version >= 1
    # Turn it into what the first release wrote: no version, no heartbeat table, "CANCELLED".
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript(
        "PRAGMA user_version = 0; DROP TABLE IF EXISTS heartbeat;"
        "INSERT INTO messages (id, url, method, header, body, max_retries, not_before_ms, created_ms, due_ms, state)"
        " VALUES ('msg_old', 'http://x/', 'POST', '{}', x'', 3, 0, 0, 0, 'CANCELLED');"
        "INSERT INTO events (time_ms, message_id, state, url) VALUES (0, 'msg_old', 'CANCELLED', 'http://x/');"
    )
    conn.close()
    make_server(data_dir=data_dir).stop()
    assert rows(db, "PRAGMA user_version") == [(version,)]
    assert rows(db, "SELECT id, state FROM messages") == [("msg_old", "CANCELED")]
    assert rows(db, "SELECT state FROM events") == [("CANCELED",)]


# --- 20: every state the server logs is one the SDK knows -------------------------------------------------


def test_20_every_logged_state_parses_with_the_sdk(server, client, receiver, tmp_path):
    """Deliver, retry, fail and cancel: client.log.list() parses every event, CANCELED included."""
    receiver.script("/flaky", Answer(status=500))
    receiver.script("/dead", Answer(status=500))
    client.message.publish_json(url=receiver.url("/ok"), body={})
    client.message.publish_json(url=receiver.url("/flaky"), body={}, retries=1)
    client.message.publish_json(url=receiver.url("/dead"), body={}, retries=0)
    cancelled = client.message.publish_json(url=receiver.url("/never"), body={}, delay="1h").message_id
    client.message.cancel(cancelled)
    wait_until(lambda: client.dlq.list().messages)
    wait_until(lambda: len(client.log.list(filter={"state": LogState.DELIVERED}).logs) == 2)
    states = {log.state for log in client.log.list().logs}
    assert {LogState.CANCEL_REQUESTED, LogState.CANCELED, LogState.RETRY, LogState.FAILED} <= states
    (canceled,) = client.log.list(filter={"state": LogState.CANCELED}).logs
    assert canceled.message_id == cancelled
    known = {state.value for state in LogState}
    db = tmp_path / "lq" / DB_FILE
    assert {s for (s,) in rows(db, "SELECT DISTINCT state FROM events")} <= known
    assert {s for (s,) in rows(db, "SELECT DISTINCT state FROM messages")} <= known


# --- 21: a clock jump backwards does not silence schedules ------------------------------------------------


def test_21_every_minute_schedule_keeps_firing_after_clock_moves_back_an_hour(make_server, token, receiver):
    """After the clock moves back one hour, the next fire is recomputed from the new 'now'."""
    clock = ShiftedClock()

    def set_now(epoch: float) -> None:
        clock.offset = epoch - time.time()

    server = make_server(clock=clock)
    client = QStash(token, base_url=server.base_url, retry=False)
    path = "/minutely"
    minute = (math.floor(time.time() / 60) + 2) * 60  # a minute boundary shortly ahead
    set_now(minute - 1.5)
    schedule_id = client.schedule.create_json(destination=receiver.url(path), cron="* * * * *", body={})
    receiver.wait_for(1, path, timeout=5)
    assert client.schedule.get(schedule_id).next_schedule_time == (minute + 60) * 1000
    clock.offset -= 3600  # the clock moves back one hour
    wait_until(lambda: client.schedule.get(schedule_id).next_schedule_time == (minute - 3540) * 1000, 5)
    for count, slot in ((2, minute - 3540), (3, minute - 3480)):
        set_now(slot - 0.5)  # the minute passes
        assert len(receiver.wait_for(count, path, timeout=5)) == count
    assert client.schedule.get(schedule_id).next_schedule_time == (minute - 3420) * 1000
