"""Routes: create (upsert) / get / list / delete / pause / resume schedules."""

import logging

from flask import Blueprint, jsonify, request

from local_qstash import schedules
from local_qstash.options import BadRequest, parse_spec
from local_qstash.state import core
from local_qstash.views import schedule_json
from local_qstash.web import base_spec, error, raw_tail

bp = Blueprint("schedules", __name__)
log = logging.getLogger(__name__)


@bp.get("/v2/schedules")
def list_schedules():
    """All schedules."""
    return jsonify([schedule_json(r) for r in schedules.list_all(core().db)])


@bp.post("/v2/schedules/<path:rest>")
def create_or_toggle(rest):
    """POST /v2/schedules/{destination} creates; POST .../{id}/pause|resume toggles."""
    tail = raw_tail("/v2/schedules/")
    if not tail.lower().startswith(("http://", "https://")):
        schedule_id, _, action = rest.partition("/")
        if action in ("pause", "resume"):
            return toggle(schedule_id, action)
        raise BadRequest("invalid destination: must be an absolute http(s) url")
    cron_text = request.headers.get("Upstash-Cron")
    if not cron_text:
        raise BadRequest("Upstash-Cron header is required")
    spec = parse_spec(request.headers.items(), base_spec(tail, request.get_data()))
    schedule_id = schedules.upsert(
        core().db, request.headers.get("Upstash-Schedule-Id"), cron_text, spec, core().now_ms()
    )
    core().wake()
    log.info("schedule saved", extra={"schedule_id": schedule_id})
    return jsonify(scheduleId=schedule_id), 201


@bp.get("/v2/schedules/<schedule_id>")
def get_schedule(schedule_id):
    """One schedule."""
    row = schedules.get(core().db, schedule_id)
    if row is None:
        return error(404, f"schedule {schedule_id} not found")
    return jsonify(schedule_json(row))


@bp.delete("/v2/schedules/<schedule_id>")
def delete_schedule(schedule_id):
    """Delete a schedule; messages it already created are not touched."""
    if not schedules.delete(core().db, schedule_id):
        return error(404, f"schedule {schedule_id} not found")
    log.info("schedule deleted", extra={"schedule_id": schedule_id})
    return "", 200


@bp.patch("/v2/schedules/<schedule_id>/<action>")
def toggle(schedule_id, action):
    """Pause or resume (the SDK sends PATCH; POST is accepted too)."""
    if action not in ("pause", "resume"):
        return error(404, "not found")
    if not schedules.set_paused(core().db, schedule_id, action == "pause", core().now_ms()):
        return error(404, f"schedule {schedule_id} not found")
    core().wake()
    log.info("schedule %sd", action, extra={"schedule_id": schedule_id})
    return "", 200
