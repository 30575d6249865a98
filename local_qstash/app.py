"""Flask app factory: bearer-token auth, JSON errors, and the QStash route blueprints."""

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from local_qstash.config import Config
from local_qstash.db import Database
from local_qstash.options import BadRequest
from local_qstash.timeutil import Clock, now_ms


@dataclass
class Core:
    """What the routes need: store, settings, clock, and a way to wake the dispatcher."""

    db: Database
    config: Config
    clock: Clock
    wake: Callable[[], None]

    def now_ms(self) -> int:
        """Current time in epoch milliseconds from the injected clock."""
        return now_ms(self.clock)


def core() -> Core:
    """The Core of the app serving this request."""
    return current_app.extensions["local_qstash"]


def raw_tail(prefix: str) -> str:
    """The undecoded rest of the request target after `prefix` (a destination URL)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        query = request.query_string.decode()
        raw = quote(request.path, safe="/:@!$&'()*+,;=-._~%") + (f"?{query}" if query else "")
    return raw.split(prefix, 1)[1] if prefix in raw else ""


def error(status: int, text: str):
    """QStash-style JSON error answer."""
    return jsonify(error=text), status


def create_app(state: Core) -> Flask:
    """Build the HTTP API around one Core."""
    from local_qstash import api_dlq, api_logs, api_messages, api_schedules

    app = Flask("local_qstash")
    # Destinations are full URLs inside the path ("/v2/publish/http://..."): keep "//" as is.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.extensions["local_qstash"] = state
    for module in (api_messages, api_schedules, api_logs, api_dlq):
        app.register_blueprint(module.bp)

    @app.get("/healthz")
    def healthz():
        """Readiness probe; needs no token."""
        return jsonify(status="ok")

    @app.before_request
    def authenticate():
        """Every /v2 call needs the bearer token (compared in constant time)."""
        if not request.path.startswith("/v2/"):
            return None
        sent = request.headers.get("Authorization", "")
        expected = f"Bearer {state.config.token}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return error(401, "Unauthorized")
        return None

    @app.errorhandler(BadRequest)
    def bad_request(exc):
        """Malformed input: say what is wrong."""
        return error(400, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        """404 / 405 and friends as JSON."""
        return error(exc.code or 500, exc.description or exc.name)

    return app
