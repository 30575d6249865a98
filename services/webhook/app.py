"""Flask app factory: the delivery webhook, the guide's scheduling endpoint, and a health check."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request

from services.delivery import Answer
from services.errors import UserError
from services.fanout_chunks import CHUNK_SUFFIX
from services.qstash.port import NUDGE_SUFFIX, WEBHOOK_PATH
from services.qstash.request_auth import Proof
from services.webhook import observe
from services.webhook.delivery_request import DeliveryRequest, json_object, read_delivery
from services.webhook.gate import admitted, refused, reply
from services.webhook.ops_routes import ops
from services.webhook.stream_replies import stream_replies

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
    metrics = services.metrics
    observe.install(app, services, metrics)
    app.register_blueprint(ops)

    def handle(suffix: str = "") -> Response:
        """Verify, refuse replays, read the delivery and hand it on: a whole firing, one chunk, or a nudge."""
        shown = admitted(services, WEBHOOK_PATH + suffix)
        if isinstance(shown, Response):
            return shown
        delivery = _read(metrics)
        if isinstance(delivery, Answer):
            return reply(delivery)
        return reply(_dispatch(services, suffix, delivery, shown))

    @app.post(WEBHOOK_PATH)
    def process_scheduled_messages():
        """Deliver one firing from QStash."""
        return handle()

    @app.post(WEBHOOK_PATH + CHUNK_SUFFIX)
    def process_chunk():
        """Deliver one chunk of a large fan-out (published by its firing through QStash's batch API)."""
        return handle(CHUNK_SUFFIX)

    @app.post(WEBHOOK_PATH + NUDGE_SUFFIX)
    def process_nudge():
        """Send one occurrence's follow-up to those who have not replied (published with a delay after its fan-out)."""
        return handle(NUDGE_SUFFIX)

    app.register_blueprint(stream_replies(services))

    @app.post("/api/qstash-schedule")
    def qstash_schedule():
        """Register a stored message with QStash (the guide's endpoint; bearer-protected)."""
        if not services.webhook_auth.bearer_ok(request.headers.get("Authorization")):
            return refused(metrics, "bad_bearer" if request.headers.get("Authorization") else "missing")
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


def _read(metrics) -> DeliveryRequest | Answer:
    """The delivery this request carries (a redelivery counted), or the 489 saying why it can never be one."""
    delivery = read_delivery(request.headers, request.get_data(cache=True))
    if isinstance(delivery, Answer):
        log.warning("malformed delivery: %s", delivery.body.get("error"))
    elif delivery.retried > 0:
        metrics.redeliveries.inc()
    return delivery


def _dispatch(services, suffix: str, delivery: DeliveryRequest, shown: Proof) -> Answer:
    """Hand a verified delivery to the service its path names: a nudge, a chunk, or a whole firing."""
    if suffix == NUDGE_SUFFIX:
        return services.nudges.fire(delivery.payload, delivery.qstash_message_id, delivery.retried)
    if suffix == CHUNK_SUFFIX:
        return services.delivery.fire_chunk(delivery.payload, delivery.qstash_message_id, delivery.retried)
    signed_at = shown.signature.issued_at if shown.signature else None
    return services.delivery.fire(delivery.payload, delivery.qstash_message_id, delivery.retried, signed_at)
