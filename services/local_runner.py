"""Helpers for `make run`: start the embedded QStash with the install's keys, wait for servers."""

from __future__ import annotations

import os
import sys
import time
import urllib.request

from services.bootstrap import resolved_secrets
from services.serving_capacity import requests_at_once


def run_local_qstash(settings) -> int:
    """Exec the local QStash server with the token and signing keys the services were given."""
    secrets = resolved_secrets(settings)
    env = dict(
        os.environ,
        QSTASH_TOKEN=secrets["qstash_token"],
        QSTASH_CURRENT_SIGNING_KEY=secrets["qstash_current_signing_key"],
        QSTASH_NEXT_SIGNING_KEY=secrets["qstash_next_signing_key"],
        LOG_FORMAT=settings.log_format,  # from .env too: the server reads only its environment
        LOG_LEVEL=settings.log_level,
    )
    data_dir = str(settings.data_dir / "qstash")
    argv = [
        sys.executable,
        "-m",
        "local_qstash",
        "--host",
        "127.0.0.1",
        "--port",
        str(settings.local_qstash_port),
        "--data-dir",
        data_dir,
        # As many deliveries in flight as the webhook serves at once (every gunicorn worker's threads): with its
        # default of 16, due firings queued in QStash while the webhook sat idle; with more than the webhook's
        # threads, the extra requests only wait there while the server's threads compete for the same cores.
        "--workers",
        str(requests_at_once(settings.webhook_threads)),
    ]
    os.execve(sys.executable, argv, env)
    return 1  # pragma: no cover - exec does not return


def wait_for_http(url: str, timeout: float) -> bool:
    """Poll a URL until it answers 200 or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False
