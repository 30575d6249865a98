"""The real CLI process: SIGKILL and restart on the same data dir loses nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from qstash import QStash
from qstash.log import LogState

from tests.ports import free_port
from tests.receivers import Answer
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]


class Process:
    """python -m local_qstash as a child process."""

    def __init__(self, data_dir: Path, port: int, env: dict) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.output = data_dir.parent / f"local-qstash-{port}.log"
        self._log = self.output.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local_qstash",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--backoff-scale",
                "0.001",
                "--timeout",
                "5",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            # A file, not a pipe: the server logs every attempt, and a pipe nobody reads would stall it.
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.first_line}")

    @property
    def first_line(self) -> str:
        """What the server printed first (its banner)."""
        with self.output.open() as printed:
            return printed.readline()

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)
        self._log.close()


@pytest.fixture
def spawn(tmp_path, keys, token):
    """Start CLI servers; kill leftovers at teardown."""
    procs = []
    env = {"QSTASH_TOKEN": token, "QSTASH_CURRENT_SIGNING_KEY": keys[0], "QSTASH_NEXT_SIGNING_KEY": keys[1]}

    def start(port):
        procs.append(Process(tmp_path / "data", port, env))
        return procs[-1]

    yield start
    for proc in procs:
        if proc.proc.poll() is None:
            proc.kill()
        proc._log.close()


def test_cli_prints_where_it_listens_and_no_secret(spawn, keys, token):
    """The one line printed names the address, never a key or token."""
    port = free_port()
    proc = spawn(port)
    assert f"http://127.0.0.1:{port}" in proc.first_line
    assert not any(secret in proc.first_line for secret in (*keys, token))


def test_sigkill_then_restart_delivers_pending_message_once(spawn, token, receiver, verify):
    """A message due while the server is down is delivered after restart, exactly once here."""
    port = free_port()
    proc = spawn(port)
    url = receiver.url("/after-crash")
    due = int(time.time()) + 3
    res = QStash(token, base_url=proc.base_url, retry=False).message.publish_json(
        url=url, body={"messageId": 9}, not_before=due
    )
    proc.kill()
    # Part of the scenario, not a wait for an event: let the due instant pass while nobody runs.
    time.sleep(max(0.0, due - time.time()) + 0.1)
    assert receiver.received() == []
    client = QStash(token, base_url=spawn(port).base_url, retry=False)
    (req,) = receiver.wait_for(1, timeout=5)
    assert req.header("Upstash-Message-Id") == res.message_id
    assert req.body == b'{"messageId": 9}'
    verify(req, url)
    # Once the delivery is recorded the message is finished: no second copy can follow.
    wait_until(lambda: client.log.list(filter={"message_id": res.message_id, "state": LogState.DELIVERED}).logs)
    assert len(receiver.received()) == 1


def test_delivery_in_flight_when_killed_is_retried(spawn, token, receiver):
    """At least once: an attempt cut off by SIGKILL is made again after restart."""
    port = free_port()
    proc = spawn(port)
    receiver.script("/slow", Answer(200, delay=2.0))
    res = QStash(token, base_url=proc.base_url, retry=False).message.publish_json(url=receiver.url("/slow"), body={})
    receiver.wait_for(1, timeout=5)
    proc.kill()
    spawn(port)
    attempts = receiver.wait_for(2, timeout=5)
    assert [a.header("Upstash-Message-Id") for a in attempts] == [res.message_id] * 2
