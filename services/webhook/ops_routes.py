"""Operations routes QStash calls: its failure callback and the minutely alert check (both signed)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from services.delivery import permanent
from services.failure_callback import CALLBACK_MAX_BYTES
from services.qstash.port import ALERT_CHECK_PATH, FAILURE_CALLBACK_PATH
from services.webhook.delivery_request import json_object
from services.webhook.gate import admitted, reply

ops = Blueprint("ops", __name__)


def _services():
    """The services the app was built around."""
    return current_app.extensions["scheduler_services"]


@ops.post(FAILURE_CALLBACK_PATH)
def qstash_failure():
    """QStash gave up on a firing or chunk: mark its rows with QStash's reason and alert."""
    request.max_content_length = CALLBACK_MAX_BYTES  # it carries the source body and the last answer
    shown = admitted(_services(), FAILURE_CALLBACK_PATH)
    if isinstance(shown, Response):
        return shown
    payload = json_object(request.get_data(cache=True))
    if not payload:
        return reply(permanent("body must be QStash's failure callback"))
    return reply(_services().failure_callbacks.handle(payload))


@ops.post(ALERT_CHECK_PATH)
def check_alerts():
    """Check every alert condition; answers which hold."""
    shown = admitted(_services(), ALERT_CHECK_PATH)
    if isinstance(shown, Response):
        return shown
    readings = _services().alerts.check()
    return jsonify({"holding": [r.condition for r in readings if r.holds]})
