"""Flask app factory: the delivery webhook, the guide's scheduling endpoint, and a health check."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request

from services.delivery import Answer
from services.errors import UserError
from services.fanout_chunks import CHUNK_SUFFIX
from services.qstash.port import WEBHOOK_PATH
from services.webhook.delivery_request import json_object, read_delivery
from services.webhook.gate import admitted, reply, unauthorised
from services.webhook.ops_routes import ops

log = logging.getLogger(__name__)


def create_app(services=None, test_config: dict | None = None) -> Flask:
    """Build the webhook app around the services (built from the environment when not given)."""
    if services is None:
        from services.bootstrap import build_services

        services = build_services()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = services.settings.max_webhook_body_bytes
    app.config.update(test_config or {})
    app.extensions["scheduler_services"] = services
    app.register_blueprint(ops)

    def handle(chunk: bool) -> Response:
        """Verify, refuse replays, read the delivery and hand it to the fan-out (a whole firing or one chunk)."""
        shown = admitted(services, WEBHOOK_PATH + CHUNK_SUFFIX if chunk else WEBHOOK_PATH)
        if isinstance(shown, Response):
            return shown
        delivery = read_delivery(request.headers, request.get_data(cache=True))
        if isinstance(delivery, Answer):
            return reply(delivery)
        if chunk:
            answer = services.delivery.fire_chunk(delivery.payload, delivery.qstash_message_id, delivery.retried)
        else:
            signed_at = shown.signature.issued_at if shown.signature else None
            answer = services.delivery.fire(delivery.payload, delivery.qstash_message_id, delivery.retried, signed_at)
        log.info("%s %s: %s", "chunk" if chunk else "firing", delivery.qstash_message_id, answer.status)
        return reply(answer)

    @app.post(WEBHOOK_PATH)
    def process_scheduled_messages():
        """Deliver one firing from QStash."""
        return handle(chunk=False)

    @app.post(WEBHOOK_PATH + CHUNK_SUFFIX)
    def process_chunk():
        """Deliver one chunk of a large fan-out (published by its firing through QStash's batch API)."""
        return handle(chunk=True)

    @app.post("/api/qstash-schedule")
    def qstash_schedule():
        """Register a stored message with QStash (the guide's endpoint; bearer-protected)."""
        if not services.webhook_auth.bearer_ok(request.headers.get("Authorization")):
            return unauthorised()
        payload = json_object(request.get_data(cache=True)) or {}
        try:
            links = services.schedules.register_stored(payload)
        except UserError as exc:
            return jsonify({"error": exc.message}), 400
        return jsonify({"ok": True, "qstashIds": links}), 200

    @app.get("/healthz")
    def healthz():
        """Database reachable? (200 or 503, no detail beyond that)."""
        ok = services.store.ping()
        return jsonify({"database": "ok" if ok else "unreachable"}), 200 if ok else 503

    @app.errorhandler(413)
    def too_large(_error):
        """Oversized bodies are refused before any work."""
        return jsonify({"error": "body too large"}), 413

    return app
