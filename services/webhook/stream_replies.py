"""Stream's webhook: a client's `message.new` event, verified by `X-Signature`, recorded as a reply."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from services.chat.stream_webhook import verified_event

STREAM_WEBHOOK_PATH = "/api/stream/webhook"  # give Stream this URL (Dashboard → Chat → Webhooks) for message.new


def stream_replies(services) -> Blueprint:
    """The blueprint of the Stream webhook route over the given services."""
    blueprint = Blueprint("stream_replies", __name__)

    @blueprint.post(STREAM_WEBHOOK_PATH)
    def stream_webhook():
        """Record a client's reply from Stream's `message.new` webhook; 401 unless the signature verifies."""
        secret = services.settings.stream_api_secret
        raw = request.get_data(cache=True)
        event = verified_event(raw, request.headers.get("X-Signature"), secret and secret.get_secret_value())
        if event is None:
            return jsonify({"error": "unauthorized"}), 401
        # 200 whatever became of it: Stream retries anything else, and an ignored event stays ignored.
        outcome = services.replies.receive(event)
        return jsonify({"recorded": outcome.recorded, "reason": outcome.reason}), 200

    return blueprint
