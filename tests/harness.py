"""The whole product in one test process: local QStash, the Flask webhook on a real port, the services."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from pathlib import Path

import jwt
from werkzeug.serving import make_server

from local_qstash.config import Config
from local_qstash.server import start_in_thread
from services import local_secrets
from services.bootstrap import build_services
from services.config import load_settings
from services.db.engine import make_engine
from services.webhook import create_app
from tests.waits import wait_until  # noqa: F401 - product tests import it from here


def sign(body: bytes, url: str, key: str, exp_in: int = 300, nbf_in: int = 0) -> str:
    """An Upstash-Signature JWT built the way QStash builds it."""
    now = int(time.time())
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode().rstrip("=")
    claims = {
        "iss": "Upstash",
        "sub": url,
        "exp": now + exp_in,
        "nbf": now + nbf_in,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "body": digest,
    }
    return jwt.encode(claims, key, algorithm="HS256")


class Product:
    """Local QStash + webhook server + services over the given database, started and stopped together."""

    def __init__(
        self, db_url: str, data_dir: Path, chat=None, qstash_backoff: float = 0.001, qstash=None, clock=None, **settings
    ):
        """`qstash`: another Product's running local QStash, shared as a second instance shares it (same
        data_dir for the same secrets); it is stopped by its owner."""
        self.secrets = local_secrets.load_or_create(data_dir)
        self._owns_qstash = qstash is None
        self.qstash = qstash or start_in_thread(
            Config(
                data_dir=data_dir / "qstash",
                token=self.secrets["qstash_token"],
                port=0,
                backoff_scale=qstash_backoff,
                current_signing_key=self.secrets["qstash_current_signing_key"],
                timeout=10.0,
                workers=8,
                next_signing_key=self.secrets["qstash_next_signing_key"],
            )
        )
        self._http = make_server("127.0.0.1", 0, lambda env, start: [], threaded=True)
        self.engine = make_engine(db_url)
        self.settings = load_settings(
            data_dir=data_dir,
            webhook_port=self._http.server_port,
            local_qstash_port=int(self.qstash.base_url.rsplit(":", 1)[1]),
            **settings,
        )
        self.services = build_services(self.settings, engine=self.engine, chat=chat, clock=clock)
        self.app = create_app(self.services)
        self._http.app = self.app
        # A short poll interval: shutdown() waits for the next poll (0.5 s by default, at every teardown).
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def intercept(self, middleware) -> None:
        """Put a WSGI middleware between QStash and the webhook app (a test's faulty network)."""
        self._http.app = middleware(self.app)

    @property
    def webhook_url(self) -> str:
        """The URL QStash delivers to (and signs as `sub`)."""
        return self.services.webhook_auth.expected_url

    @property
    def store(self):
        """The product's store."""
        return self.services.store

    def stop(self) -> None:
        """Stop everything (idempotent enough for teardown)."""
        self._http.shutdown()
        self._http.server_close()
        if self._owns_qstash:
            self.qstash.stop()
        self.engine.dispose()
