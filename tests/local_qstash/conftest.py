"""Fixtures: a recording receiver, in-process local QStash servers, SDK clients, a verifier."""

import secrets
import time

import pytest
from qstash import QStash, Receiver

from local_qstash.config import Config
from local_qstash.server import start_in_thread
from tests.receivers import RecordingReceiver


@pytest.fixture
def receiver():
    """A local destination that records requests and answers 200 unless scripted."""
    rec = RecordingReceiver().start()
    yield rec
    rec.stop()


@pytest.fixture
def keys():
    """A (current, next) signing key pair."""
    return secrets.token_urlsafe(32), secrets.token_urlsafe(32)


@pytest.fixture
def token():
    """The API token the servers accept."""
    return secrets.token_urlsafe(24)


@pytest.fixture
def make_server(tmp_path, keys, token):
    """Factory: start a server (same data dir unless told), stopped at teardown."""
    started = []

    def make(clock=time.time, data_dir=None, current=None, next_=None, **overrides):
        settings = dict(backoff_scale=0.001, timeout=2.0, workers=4)
        settings.update(overrides)
        config = Config(
            data_dir=data_dir or tmp_path / "lq",
            token=token,
            port=0,
            current_signing_key=current or keys[0],
            next_signing_key=next_ or keys[1],
            **settings,
        )
        server = start_in_thread(config, clock=clock)
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()  # idempotent: tests may have stopped it already


@pytest.fixture
def server(make_server):
    """One running server with the default test settings."""
    return make_server()


@pytest.fixture
def client(server, token):
    """The official SDK pointed at the local server (no client-side retries)."""
    return QStash(token, base_url=server.base_url, retry=False)


@pytest.fixture
def verify(keys):
    """Check a delivery's Upstash-Signature with the official qstash.Receiver."""

    def check(request, url, key_pair=None):
        current, next_ = key_pair or keys
        Receiver(current, next_).verify(
            signature=request.header("Upstash-Signature"), body=request.body.decode(), url=url
        )

    return check
