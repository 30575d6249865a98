"""Routes: publish, batch, messages (get / cancel) and signing keys."""

import logging

from flask import Blueprint, jsonify, request

from local_qstash import messages
from local_qstash.options import BadRequest, parse_spec
from local_qstash.state import core
from local_qstash.views import message_json
from local_qstash.web import base_spec, error, raw_tail

bp = Blueprint("messages", __name__)
log = logging.getLogger(__name__)


@bp.post("/v2/publish/<path:destination>")
def publish(destination):
    """Store a message for delivery; a dedup hit answers 202 with the first id."""
    spec = parse_spec(request.headers.items(), base_spec(raw_tail("/v2/publish/"), request.get_data()))
    message_id, duplicate = messages.publish(core().db, spec, core().now_ms())
    log.info("message published", extra={"qstash_message_id": message_id, "deduplicated": duplicate})
    if duplicate:
        return jsonify(messageId=message_id, deduplicated=True), 202
    core().wake()
    return jsonify(messageId=message_id), 201


@bp.post("/v2/batch")
def batch():
    """Publish several messages in one call (the SDK's message.batch)."""
    items = request.get_json(silent=True)
    if not isinstance(items, list):
        raise BadRequest("batch body must be a JSON list")
    answers = []
    for item in items:
        if not isinstance(item, dict) or item.get("queue"):
            raise BadRequest("batch items need a destination; queues are not supported")
        body = item.get("body") or ""
        body = body.encode() if isinstance(body, str) else bytes(body)
        spec = parse_spec((item.get("headers") or {}).items(), base_spec(item.get("destination"), body))
        message_id, duplicate = messages.publish(core().db, spec, core().now_ms())
        log.info("message published in a batch", extra={"qstash_message_id": message_id, "deduplicated": duplicate})
        answers.append({"messageId": message_id, **({"deduplicated": True} if duplicate else {})})
    core().wake()
    return jsonify(answers), 201


@bp.get("/v2/messages/<message_id>")
def get_message(message_id):
    """A message still waiting or in flight; delivered ones are gone, as in QStash."""
    row = messages.get_live(core().db, message_id)
    if row is None:
        return error(404, f"message {message_id} not found")
    return jsonify(message_json(row))


@bp.delete("/v2/messages/<message_id>")
def cancel_message(message_id):
    """Cancel one pending message."""
    if not messages.cancel(core().db, [message_id], core().now_ms()):
        return error(404, f"message {message_id} not found")
    return "", 200


@bp.delete("/v2/messages")
def cancel_messages():
    """Cancel the listed messages, or all pending ones when no list is given."""
    data = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise BadRequest('body must be a JSON object like {"messageIds": [...]}')
    ids = data.get("messageIds")
    return jsonify(cancelled=messages.cancel(core().db, ids, core().now_ms()))


@bp.get("/v2/keys")
def signing_keys():
    """Current and next signing keys (what qstash.Receiver needs)."""
    config = core().config
    return jsonify(current=config.current_signing_key, next=config.next_signing_key)
