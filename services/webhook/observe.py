"""The webhook's operations surface: a request id and QStash's ids on every log line, and `GET /metrics`.

`/metrics` is protected by its own bearer token (METRICS_TOKEN) when one is set. Without one it answers only
clients on this machine (loopback, not forwarded by a proxy): a Prometheus agent beside the webhook, or one
reaching it over a private address through an SSH tunnel or sidecar.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time

from flask import Flask, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from services.observability import logs
from services.observability.metrics import Metrics, SchedulesByStatus

log = logging.getLogger(__name__)
_HEADER_ID = re.compile(r"[\x21-\x7e]{1,128}")  # unsigned headers: only plain ids make it into a log line
_QUIET = ("/metrics", "/healthz")  # scraped and probed every few seconds: logged at DEBUG only
_FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")


def install(app: Flask, services, metrics: Metrics) -> None:
    """Add the request-scoped log ids, the access line and the /metrics route to the app."""

    @app.before_request
    def start_request() -> None:
        """A fresh request id, and the ids QStash's headers name, for every line of this request."""
        g.started, g.request_id = time.monotonic(), logs.new_request_id()
        logs.clear()  # the thread may have served another request before
        logs.bind(
            request_id=g.request_id,
            qstash_message_id=_header_id("Upstash-Message-Id"),
            schedule_id=_header_id("Upstash-Schedule-Id"),
        )

    @app.after_request
    def log_answer(response: Response) -> Response:
        """One access line per request, and the request id back to the caller (support can quote it)."""
        response.headers["X-Request-Id"] = g.get("request_id", "")
        route = request.url_rule.rule if request.url_rule else "(no route)"  # never the raw, decoded path
        took = round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 1)
        level = logging.DEBUG if route in _QUIET else logging.INFO
        fields = {"method": request.method, "route": route, "status": response.status_code, "duration_ms": took}
        log.log(level, "%s %s answered %s", request.method, route, response.status_code, extra=fields)
        return response

    @app.teardown_request
    def end_request(_error) -> None:
        """Nothing bound for this request outlives it."""
        logs.clear()

    @app.get("/metrics")
    def metrics_page():
        """Prometheus text exposition: every worker's counters plus schedules by status from the store."""
        refused = _refused(services.settings.metrics_token)
        if refused is not None:
            if refused[1] == 401:
                metrics.auth_failures.labels("metrics_token").inc()
            return refused
        body = metrics.scrape(SchedulesByStatus(services.store.messages.count_by_status))
        return Response(body, content_type=CONTENT_TYPE_LATEST)


def _header_id(name: str) -> str | None:
    """A QStash id header's value when it looks like an id, else None."""
    value = request.headers.get(name)
    return value if value and _HEADER_ID.fullmatch(value) else None


def _refused(token) -> tuple[Response, int] | None:
    """The answer for a caller that may not read /metrics, or None."""
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}".encode()
        given = request.headers.get("Authorization", "").encode("utf-8", "surrogatepass")
        return None if hmac.compare_digest(given, expected) else (jsonify({"error": "unauthorized"}), 401)
    if _direct_loopback():
        return None
    return jsonify({"error": "metrics are served to this machine only unless METRICS_TOKEN is set"}), 403


def _direct_loopback() -> bool:
    """True for a client on this machine that no proxy forwarded (a proxy's request would look local)."""
    if any(request.headers.get(name) for name in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
