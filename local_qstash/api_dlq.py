"""Routes: dead-letter queue list / get / delete / retry."""

import json

from flask import Blueprint, jsonify, request

from local_qstash import dlq
from local_qstash.messages import flow_of
from local_qstash.options import BadRequest, Spec, parse_spec
from local_qstash.state import core
from local_qstash.views import dlq_json
from local_qstash.web import error, paging

bp = Blueprint("dlq", __name__)
FILTERS = ("messageId", "url", "scheduleId", "label", "callerIp", "responseStatus", "fromDate", "toDate")


@bp.get("/v2/dlq")
def list_dlq():
    """DLQ entries, newest first, at most 100 a page."""
    count, cursor = paging(100)
    filters = {name: request.args.get(name) for name in FILTERS}
    rows, next_cursor = dlq.page(core().db, filters, cursor, count)
    answer = {"messages": [dlq_json(r) for r in rows]}
    if next_cursor is not None:
        answer["cursor"] = str(next_cursor)
    return jsonify(answer)


@bp.get("/v2/dlq/<dlq_id>")
def get_dlq(dlq_id):
    """One DLQ entry."""
    row = dlq.get(core().db, dlq_id)
    if row is None:
        return error(404, f"dlq message {dlq_id} not found")
    return jsonify(dlq_json(row))


@bp.delete("/v2/dlq/<dlq_id>")
def delete_dlq(dlq_id):
    """Delete one DLQ entry."""
    if not dlq.delete(core().db, [dlq_id]):
        return error(404, f"dlq message {dlq_id} not found")
    return "", 200


@bp.delete("/v2/dlq")
def delete_many():
    """Delete several entries: body {"dlqIds": [...]}."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("dlqIds"), list):
        raise BadRequest('body must be {"dlqIds": [...]}')
    return jsonify(deleted=dlq.delete(core().db, data["dlqIds"]))


@bp.post("/v2/dlq/retry/<dlq_id>")
def retry_one(dlq_id):
    """Re-publish one entry (publish headers on this call override its settings)."""
    message_id = dlq.retry(core().db, dlq_id, _override, core().now_ms())
    if message_id is None:
        return error(404, f"dlq message {dlq_id} not found")
    core().wake()
    return jsonify(messageId=message_id), 201


@bp.post("/v2/dlq/retry")
def retry_many():
    """Re-publish the entries named by ?dlqIds=... (or a JSON body {"dlqIds": [...]})."""
    ids = request.args.getlist("dlqIds")
    if not ids:
        data = request.get_json(force=True, silent=True) or {}
        ids = data.get("dlqIds") or [] if isinstance(data, dict) else []
    if not ids:
        raise BadRequest("dlqIds is required")
    responses = []
    for dlq_id in ids:
        message_id = dlq.retry(core().db, dlq_id, _override, core().now_ms())
        if message_id:
            responses.append({"messageId": message_id})
    core().wake()
    return jsonify(responses=responses), 201


def _override(row) -> Spec:
    """The DLQ message's own settings, then this request's Upstash-* headers on top."""
    base = Spec(
        url=row["url"],
        body=bytes(row["body"]),
        method=row["method"],
        header=json.loads(row["header"]),
        max_retries=row["max_retries"],
        timeout_s=row["timeout_s"],
        callback=row["callback"],
        failure_callback=row["failure_callback"],
        callback_header=json.loads(row["callback_header"] or "{}"),
        failure_callback_header=json.loads(row["failure_callback_header"] or "{}"),
        schedule_id=row["schedule_id"],
        caller_ip=request.remote_addr,
        label=row["label"],
        flow=flow_of(row),
    )
    headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-type"]
    return parse_spec(headers, base)
