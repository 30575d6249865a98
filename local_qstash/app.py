"""Flask app factory: bearer-token auth, JSON errors, and the QStash route blueprints."""

import uuid

from flask import Flask, request
from structlog.contextvars import bind_contextvars, clear_contextvars
from werkzeug.exceptions import HTTPException

from local_qstash import api_dlq, api_flow, api_health, api_logs, api_messages, api_metrics, api_schedules
from local_qstash.options import BadRequest
from local_qstash.state import EXTENSION, Core
from local_qstash.web import bearer_ok, error


def create_app(state: Core) -> Flask:
    """Build the HTTP API around one Core; routes reach it through app.extensions."""
    app = Flask("local_qstash")
    # Destinations are full URLs inside the path ("/v2/publish/http://..."): keep "//" as is.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.extensions[EXTENSION] = state
    for module in (api_health, api_metrics, api_messages, api_schedules, api_logs, api_dlq, api_flow):
        app.register_blueprint(module.bp)

    @app.before_request
    def request_id() -> None:
        """A fresh request id on every log line of this request (the project's log set-up renders it)."""
        clear_contextvars()
        bind_contextvars(request_id=uuid.uuid4().hex)

    @app.teardown_request
    def forget_request_id(_error) -> None:
        """Nothing bound for this request outlives it on the reused thread."""
        clear_contextvars()

    @app.before_request
    def authenticate():
        """Every /v2 call needs the bearer token (compared in constant time)."""
        if not request.path.startswith("/v2/"):
            return None
        if not bearer_ok():
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
