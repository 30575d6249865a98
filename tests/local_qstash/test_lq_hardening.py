"""Hardening (items 14, 17-21): private files, redacted logs, kept outcomes, honest health, refused
unusable databases, QStash's state spelling, and schedules across a clock jump backwards."""

import base64
import os
import sqlite3
import stat
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from qstash import QStash
from qstash.log import LogState

from local_qstash.config import KEY_FILE, load_secrets
from local_qstash.db import DB_FILE
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
