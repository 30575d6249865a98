"""Cron rules with an optional CRON_TZ=Area/City prefix: validation and next fire time."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from local_qstash.options import BadRequest

UTC = ZoneInfo("UTC")


def split_cron(text: str) -> tuple[ZoneInfo, str]:
    """Return (zone, five-field expression); no prefix means UTC."""
    text = (text or "").strip()
    zone = UTC
    if text.startswith(("CRON_TZ=", "TZ=")):
        head, _, text = text.partition(" ")
        name = head.split("=", 1)[1]
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadRequest(f"invalid cron timezone: {name}") from None
    expr = " ".join(text.split())
    if len(expr.split(" ")) != 5 or not croniter.is_valid(expr):
        raise BadRequest(f"invalid cron expression: {text!r}")
    return zone, expr


def next_fire_ms(text: str, after_ms: int) -> int:
    """First fire strictly after `after_ms`, keeping the local wall-clock time across DST."""
    zone, expr = split_cron(text)
    after = datetime.fromtimestamp(after_ms / 1000, tz=UTC)
    # Iterate on naive local wall-clock times so "09:00" stays 09:00 local in summer and
    # winter; croniter's own aware-datetime arithmetic is not relied on across transitions.
    local = after.astimezone(zone).replace(tzinfo=None, fold=0)
    it = croniter(expr, local)
    for _ in range(1000):
        candidate = it.get_next(datetime).replace(tzinfo=zone)
        fire_ms = int(candidate.timestamp() * 1000)
        if fire_ms > after_ms:
            return fire_ms
    raise BadRequest(f"cron expression never fires: {text!r}")
