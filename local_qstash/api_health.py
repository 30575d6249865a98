"""Route: GET /healthz, the readiness probe (no token needed)."""

from flask import Blueprint, jsonify

from local_qstash import health
from local_qstash.state import core

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database takes a write now; 503 with the reason otherwise."""
    problem = health.write_problem(core().db.path, core().now_ms())
    if problem is not None:
        return jsonify(status="unavailable", error=problem), 503
    return jsonify(status="ok")
