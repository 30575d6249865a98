"""Helpers for hostile-client tests: the webhook served as the Procfile serves it, slow clients, signed posts."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import jwt
import requests

from services.chat.port import OutgoingMessage, SendResult
from tests.harness import sign, wait_until
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/process-scheduled-messages"


def procfile_command(name: str) -> str:
    """The shell command the Procfile gives a process (what honcho runs for `make run`)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, _, command = line.partition(":")
        if key.strip() == name:
            return command.strip()
    raise KeyError(name)


class ServedWebhook:
    """The Procfile's `webhook` process on a free port over a data directory, started and stopped together."""

    def __init__(self, data_dir: Path, **env: str):
        self.port = free_port()
        self.data_dir = data_dir
        base = {k: v for k, v in os.environ.items() if not k.startswith(("QSTASH", "STREAM_", "DATABASE_URL"))}
        base.update(
            DATA_DIR=str(data_dir),
            WEBHOOK_PORT=str(self.port),
            LOCAL_QSTASH_PORT=str(free_port()),
            PYTHONUNBUFFERED="1",
            **env,
        )
        self.log_path = data_dir.parent / "webhook.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        # honcho runs each Procfile line through the shell; so does this.
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", procfile_command("webhook")],
            cwd=ROOT,
            env=base,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(self._healthy, timeout=60, interval=0.25)
        except AssertionError:
            self.stop()
            raise AssertionError(f"webhook did not start:\n{self.log_path.read_text()}") from None

    @property
    def url(self) -> str:
        """The delivery URL (what a signature's `sub` names)."""
        return f"http://127.0.0.1:{self.port}{PATH}"

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"webhook exited:\n{self.log_path.read_text()}")
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """Stop the process group and close the log."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


class SlowClients:
    """Connections that send their headers, promise a body, then drip one byte every `interval` seconds."""

    def __init__(self, port: int, count: int, interval: float = 2.0, body_size: int = 1000):
        self.port, self.count, self.interval, self.body_size = port, count, interval, body_size
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)

    def __enter__(self) -> SlowClients:
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {self.body_size}\r\n\r\n{{"
        ).encode()
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(head)
            self.sockets.append(sock)
        self._thread.start()
        return self

    def _drip(self) -> None:
        """One byte per connection per interval, for as long as the test holds them (bounded by the body size)."""
        for _ in range(self.body_size - 2):
            if self._stop.wait(self.interval):
                return
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # the server may drop one; the others keep dripping
                    sock.send(b" ")

    def open_count(self) -> int:
        """How many of the connections the server has not closed (a closed one reads EOF at once)."""
        alive = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                alive += sock.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            finally:
                sock.setblocking(True)
        return alive

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()


def timed(call) -> tuple[float, requests.Response]:
    """(seconds taken, response) for one HTTP call."""
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


def signed_post(
    url: str, body: bytes | dict, key: str, qstash_id: str = "msg_1", retried: int | str = 0, **kwargs
) -> requests.Response:
    """POST a delivery as QStash does: a fresh signature over the body and URL, and QStash's headers."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {
        "Content-Type": "application/json",
        "Upstash-Signature": sign(raw, url, key),
        "Upstash-Message-Id": qstash_id,
        "Upstash-Retried": str(retried),
    }
    headers.update(kwargs.pop("headers", {}))
    return requests.post(url, data=raw, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)


def sign_at(body: bytes, url: str, key: str, issued_in: float = 0, valid_for: int = 300) -> str:
    """A QStash-style signature issued `issued_in` seconds from now (negative: in the past; positive: clock skew)."""
    issued = int(time.time() + issued_in)
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode().rstrip("=")
    claims = {
        "iss": "Upstash",
        "sub": url,
        "iat": issued,
        "nbf": issued,
        "exp": issued + valid_for,
        "jti": "jwt_" + uuid.uuid4().hex,
        "body": digest,
    }
    return jwt.encode(claims, key, algorithm="HS256")


class SlowGateway:
    """A chat gateway that takes `delay` seconds per send and records every send it was asked for."""

    name = "slow test gateway"

    def __init__(self, delay: float):
        self.delay = delay
        self.sent: list[str] = []  # chat message ids, one entry per send call
        self._lock = threading.Lock()

    def prepare_users(self, users) -> None:
        """Nothing to set up."""

    def send(self, message: OutgoingMessage) -> SendResult:
        """Sleep, then record the send."""
        time.sleep(self.delay)
        with self._lock:
            self.sent.append(message.message_id)
        return SendResult(chat_message_id=message.message_id)
