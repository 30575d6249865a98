"""Request and answer helpers the route blueprints share."""

import hmac
from urllib.parse import quote

from flask import jsonify, request

from local_qstash.options import BadRequest, Spec, check_url
from local_qstash.state import core


def raw_tail(prefix: str) -> str:
    """The undecoded rest of the request target after `prefix` (a destination URL)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        query = request.query_string.decode()
        raw = quote(request.path, safe="/:@!$&'()*+,;=-._~%") + (f"?{query}" if query else "")
    return raw.split(prefix, 1)[1] if prefix in raw else ""


def bearer_ok() -> bool:
    """True when the request carries `Bearer <the server's token>` (compared in constant time)."""
    sent = request.headers.get("Authorization", "").encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sent, f"Bearer {core().config.token}".encode())


def error(status: int, text: str):
    """QStash-style JSON error answer."""
    return jsonify(error=text), status


def base_spec(url: str, body: bytes) -> Spec:
    """Defaults for a new message from this caller."""
    return Spec(url=check_url(url), body=body, max_retries=core().config.default_retries, caller_ip=request.remote_addr)


def paging(max_count: int, numeric_cursor: bool = True):
    """Read count and cursor query parameters."""
    try:
        count = min(max_count, max(1, int(request.args.get("count", max_count))))
        cursor = request.args.get("cursor") or None
        return count, (int(cursor) if cursor and numeric_cursor else cursor)
    except ValueError:
        raise BadRequest("invalid count or cursor") from None
