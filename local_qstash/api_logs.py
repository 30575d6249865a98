"""Routes: GET /v2/events and its newer name /v2/logs."""

from flask import Blueprint, jsonify, request

from local_qstash import events
from local_qstash.options import BadRequest
from local_qstash.state import core
from local_qstash.views import event_json
from local_qstash.web import paging

bp = Blueprint("logs", __name__)
FILTERS = ("messageId", "state", "url", "scheduleId", "label", "fromDate", "toDate")


@bp.get("/v2/events")
@bp.get("/v2/logs")
def list_events():
    """Log events, newest first, filtered like QStash's."""
    count, cursor = paging(1000, numeric_cursor=False)
    filters = {name: request.args.get(name) for name in FILTERS}
    for name in ("fromDate", "toDate"):
        if filters[name]:
            filters[name] = _int(filters[name], name)
    ids = request.args.getlist("messageIds")
    rows, next_cursor = events.page(core().db, filters, ids, cursor, count)
    answer = {"events": [event_json(r) for r in rows]}
    if next_cursor is not None:
        answer["cursor"] = next_cursor
    return jsonify(answer)


def _int(value: str, name: str) -> int:
    """Parse an integer query parameter."""
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be unix milliseconds") from None
