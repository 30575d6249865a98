"""Routes: the flow-control API the SDK's client.flow_control calls (get, list, global parallelism, pause,
resume, pin, unpin, reset rate)."""

from flask import Blueprint, jsonify, request

from local_qstash import flow_keys
from local_qstash.options import MAX_PERIOD_S, BadRequest
from local_qstash.state import core
from local_qstash.views import flow_json
from local_qstash.web import error

bp = Blueprint("flow", __name__)


def _info(row, waiting: int) -> dict:
    """A key's JSON with its live counters."""
    now = core().now_ms()
    return flow_json(row, waiting, core().flow.snapshot(row["key"], flow_keys.limits_of(row), now))


def _unknown(key: str):
    """QStash-style 404 for a key no message has used."""
    return error(404, f"flow control key {key} not found")


@bp.get("/v2/flowControl")
def list_keys():
    """Every key with its waitlist size and limits."""
    sizes = flow_keys.waitlist_sizes(core().db, core().now_ms())
    return jsonify([_info(row, sizes.get(row["key"], 0)) for row in flow_keys.list_all(core().db)])


@bp.get("/v2/flowControl/<key>")
def get_key(key):
    """One key: waitlist size, limits, counters, pause and pins."""
    row = flow_keys.get(core().db, key)
    if row is None:
        return _unknown(key)
    return jsonify(_info(row, flow_keys.waitlist_sizes(core().db, core().now_ms()).get(key, 0)))


@bp.get("/v2/globalParallelism")
def global_parallelism():
    """Deliveries this server runs at once at most (its workers) and right now."""
    return jsonify(parallelismMax=core().config.workers, parallelismCount=core().active())


@bp.post("/v2/flowControl/<key>/<action>")
def manage(key, action):
    """pause | resume | pin | unpin | resetRate."""
    db = core().db
    if action in ("pause", "resume"):
        found = flow_keys.set_paused(db, key, action == "pause")
    elif action == "pin":
        found = flow_keys.pin(db, key, _count("rate"), _count("parallelism"), _period())
        if found:
            core().flow.reset_rate(key, core().now_ms())  # pinning starts a fresh rate period, as in QStash
    elif action == "unpin":
        both = not request.args
        found = flow_keys.unpin(db, key, both or _flag("rate"), both or _flag("parallelism"))
    elif action == "resetRate":
        found = flow_keys.get(db, key) is not None
        if found:
            core().flow.reset_rate(key, core().now_ms())
    else:
        return error(404, "not found")
    if not found:
        return _unknown(key)
    core().wake()
    return "", 200


def _count(name: str) -> int | None:
    """A positive integer query parameter, or None when absent."""
    value = request.args.get(name)
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 10**6:
        raise BadRequest(f"invalid {name}: {value} (a whole number from 1)")
    return int(value)


def _period() -> int | None:
    """The pinned period in seconds (the SDK sends a number), at most a week."""
    period = _count("period")
    if period is not None and period > MAX_PERIOD_S:
        raise BadRequest(f"invalid period: {period} (at most {MAX_PERIOD_S} seconds)")
    return period


def _flag(name: str) -> bool:
    """A true/false query parameter (the SDK sends lower-case)."""
    value = request.args.get(name, "false").lower()
    if value not in ("true", "false"):
        raise BadRequest(f"invalid {name}: {value} (true or false)")
    return value == "true"
