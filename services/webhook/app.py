"""Flask app factory: the delivery webhook, the guide's scheduling endpoint, and a health check."""

from __future__ import annotations

import dataclasses
import logging

from flask import Flask, Response, jsonify, request

from services.delivery import Answer
from services.errors import UserError
from services.fanout_chunks import CHUNK_SUFFIX
from services.qstash.port import NUDGE_SUFFIX, WEBHOOK_PATH
from services.qstash.request_auth import Proof
from services.webhook.delivery_request import json_object, read_delivery
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

    def proof(suffix: str = "") -> Proof | None:
        """The request's proof under the configured mode (read per request, so tests may switch it)."""
        raw = request.get_data(cache=True)
        headers = request.headers
        auth = services.webhook_auth
        if suffix:  # QStash signs the URL it delivers to: the chunk or nudge endpoint's own
            auth = dataclasses.replace(auth, expected_url=auth.expected_url + suffix)
        return auth.verify(headers.get("Upstash-Signature"), headers.get("Authorization"), raw)

    def first_use(shown: Proof) -> bool:
        """False for a signature seen before: a replay. Bearer-only requests carry no jti (see request_auth)."""
        claims = shown.signature
        return claims is None or services.store.signatures.remember(claims.jti, claims.valid_until)

    def handle(suffix: str = "") -> Response:
        """Verify, refuse replays, read the delivery and hand it on: a whole firing, one chunk, or a nudge."""
        shown = proof(suffix)
        if shown is None:
            return _unauthorised()
        if not first_use(shown):
            # 200, not an error: QStash must not retry it, and the original request does (or did) the work.
            log.warning("replayed signature %s ignored", shown.signature.jti)
            return _reply(Answer(200, {"skipped": "duplicate delivery"}))
        delivery = read_delivery(request.headers, request.get_data(cache=True))
        if isinstance(delivery, Answer):
            return _reply(delivery)
        answer = _dispatch(services, suffix, delivery, shown)
        log.info("%s %s: %s", suffix or "firing", delivery.qstash_message_id, answer.status)
        return _reply(answer)

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
            return _unauthorised()
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


def _dispatch(services, suffix: str, delivery, shown: Proof) -> Answer:
    """Hand a verified delivery to the service its path names: a nudge, a chunk, or a whole firing."""
    if suffix == NUDGE_SUFFIX:
        return services.nudges.fire(delivery.payload, delivery.qstash_message_id, delivery.retried)
    if suffix == CHUNK_SUFFIX:
        return services.delivery.fire_chunk(delivery.payload, delivery.qstash_message_id, delivery.retried)
    signed_at = shown.signature.issued_at if shown.signature else None
    return services.delivery.fire(delivery.payload, delivery.qstash_message_id, delivery.retried, signed_at)


def _unauthorised() -> tuple[Response, int]:
    """401 saying no more."""
    return jsonify({"error": "unauthorized"}), 401


def _reply(answer: Answer) -> Response:
    """Translate a service answer to HTTP."""
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    return response
