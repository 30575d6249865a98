"""Route: GET /metrics, Prometheus text for this machine's scraper (or any caller with the server's token)."""

import ipaddress

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from local_qstash.state import core
from local_qstash.web import bearer_ok, error

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    """The server's metrics; a caller from another machine needs `Authorization: Bearer <token>`."""
    if not (_loopback() or bearer_ok()):
        return error(401, "Unauthorized")
    return Response(generate_latest(core().metrics.registry), content_type=CONTENT_TYPE_LATEST)


def _loopback() -> bool:
    """True for a client on this machine."""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
