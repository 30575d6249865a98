"""Turn the Upstash-* request headers of publish / schedule calls into a message spec."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from local_qstash.timeutil import parse_duration

METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}
MAX_RETRIES = 100
DEFAULT_PERIOD_S = 1  # QStash's default rate period
MAX_PERIOD_S = 7 * 86400  # "at most a week"
MAX_FLOW_KEY = 200
_PREFIXES = (
    ("upstash-forward-", "header"),
    ("upstash-callback-", "callback_header"),
    ("upstash-failure-callback-", "failure_callback_header"),
)


class BadRequest(ValueError):
    """The request is malformed; the API answers 400 with this text."""


@dataclass(frozen=True)
class Flow:
    """A message's flow control: its key, and the limits it asks for (None: no such limit)."""

    key: str
    rate: int | None = None
    parallelism: int | None = None
    period_s: int = DEFAULT_PERIOD_S


@dataclass
class Spec:
    """What to deliver, where, and how: shared by publish, schedules and DLQ retry."""

    url: str
    body: bytes = b""
    method: str = "POST"
    header: dict[str, list[str]] = field(default_factory=dict)
    callback_header: dict[str, list[str]] = field(default_factory=dict)
    failure_callback_header: dict[str, list[str]] = field(default_factory=dict)
    max_retries: int = 3
    timeout_s: float | None = None
    delay_s: float | None = None
    not_before_s: int | None = None
    callback: str | None = None
    failure_callback: str | None = None
    label: str | None = None
    dedup_id: str | None = None
    caller_ip: str | None = None
    schedule_id: str | None = None
    flow: Flow | None = None


def check_url(url: str, what: str = "destination") -> str:
    """Accept only absolute http(s) URLs (URL groups and queues are not supported)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"invalid {what}: must be an absolute http(s) url")
    return url


def parse_spec(headers: Iterable[tuple[str, str]], base: Spec) -> Spec:
    """Apply Upstash-* headers on top of a base spec (defaults, or a DLQ message)."""
    spec = replace(base, header=dict(base.header))
    forwarded: dict[str, dict[str, list[str]]] = {}
    content_dedup = False
    flow_key = flow_value = None
    for name, value in headers:
        low = name.lower()
        for prefix, target in _PREFIXES:
            if low.startswith(prefix) and len(low) > len(prefix):
                forwarded.setdefault(target, {}).setdefault(name[len(prefix) :], []).append(value)
                break
        else:
            if low == "upstash-flow-control-key":
                flow_key = value.strip()
            elif low == "upstash-flow-control-value":
                flow_value = value
            else:
                content_dedup |= _apply_one(spec, low, value)
    for target, values in forwarded.items():
        setattr(spec, target, {**getattr(spec, target), **values})
    if flow_key is not None or flow_value is not None:
        spec.flow = parse_flow(flow_key, flow_value)
    if content_dedup and spec.dedup_id is None:
        spec.dedup_id = content_dedup_id(spec)
    return spec


def _apply_one(spec: Spec, low: str, value: str) -> bool:
    """Apply one configuration header; return True for content-based dedup."""
    value = value.strip()
    if low == "content-type":
        spec.header["Content-Type"] = [value]
    elif low == "upstash-method":
        if value.upper() not in METHODS:
            raise BadRequest(f"invalid Upstash-Method: {value}")
        spec.method = value.upper()
    elif low == "upstash-retries":
        spec.max_retries = _bounded_int(value, "Upstash-Retries", 0, MAX_RETRIES)
    elif low == "upstash-timeout":
        spec.timeout_s = _duration(value, "Upstash-Timeout")
    elif low == "upstash-delay":
        spec.delay_s = _duration(value, "Upstash-Delay")
    elif low == "upstash-not-before":
        spec.not_before_s = _bounded_int(value, "Upstash-Not-Before", 0, 10**11)
    elif low == "upstash-callback":
        spec.callback = check_url(value, "Upstash-Callback")
    elif low == "upstash-failure-callback":
        spec.failure_callback = check_url(value, "Upstash-Failure-Callback")
    elif low == "upstash-label":
        spec.label = value
    elif low == "upstash-deduplication-id":
        spec.dedup_id = value
    elif low == "upstash-content-based-deduplication":
        return value.lower() == "true"
    return False


def check_flow_key(key: str | None) -> str:
    """A flow-control key: non-empty, at most 200 characters, and usable as one URL path segment."""
    if not key or len(key) > MAX_FLOW_KEY or any(ch in key for ch in "/?#%") or not key.isprintable():
        raise BadRequest("invalid Upstash-Flow-Control-Key: 1 to 200 printable characters without / ? # %")
    if any(ch.isspace() for ch in key):
        raise BadRequest("invalid Upstash-Flow-Control-Key: no spaces")
    return key


def parse_flow(key: str | None, value: str | None) -> Flow:
    """Upstash-Flow-Control-Key and -Value ("rate=10, parallelism=2, period=1m"), as the SDK sends them."""
    if key is None:
        raise BadRequest("Upstash-Flow-Control-Value needs an Upstash-Flow-Control-Key")
    key = check_flow_key(key)
    limits: dict[str, int] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        name, sep, number = (p.strip() for p in part.partition("="))
        if not sep or name.lower() not in ("rate", "parallelism", "period") or name.lower() in limits:
            raise BadRequest(f"invalid Upstash-Flow-Control-Value: {part.strip()!r} (use rate=, parallelism=, period=)")
        name = name.lower()
        if name == "period":
            seconds = _duration(number, "Upstash-Flow-Control-Value period")
            if seconds != int(seconds) or not 1 <= seconds <= MAX_PERIOD_S:
                raise BadRequest(f"invalid Upstash-Flow-Control-Value period: {number} (whole seconds, 1s to 7d)")
            limits[name] = int(seconds)
        else:
            limits[name] = _bounded_int(number, f"Upstash-Flow-Control-Value {name}", 1, 10**6)
    if "rate" not in limits and "parallelism" not in limits:
        raise BadRequest("Upstash-Flow-Control-Value needs rate or parallelism")
    return Flow(key, limits.get("rate"), limits.get("parallelism"), limits.get("period", DEFAULT_PERIOD_S))


def content_dedup_id(spec: Spec) -> str:
    """Hash destination, body and forwarded headers, as QStash's content-based dedup does."""
    digest = hashlib.sha256()
    digest.update(spec.url.encode())
    digest.update(json.dumps(spec.header, sort_keys=True).encode())
    digest.update(spec.body)
    return "content:" + digest.hexdigest()


def _bounded_int(value: str, name: str, low: int, high: int) -> int:
    """Parse an integer header within bounds."""
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"invalid {name}: {value}") from None
    if not low <= number <= high:
        raise BadRequest(f"invalid {name}: {value}")
    return number


def _duration(value: str, name: str) -> float:
    """Parse a duration header."""
    try:
        return parse_duration(value)
    except ValueError:
        raise BadRequest(f"invalid {name}: {value}") from None
