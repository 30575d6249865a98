"""Clock helpers and QStash duration strings ("10s", "1m", "3d5h12m")."""

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

ClockValue = float | int | datetime
Clock = Callable[[], ClockValue]

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def system_clock() -> float:
    """Return the real time as epoch seconds."""
    return time.time()


def to_epoch(value: ClockValue) -> float:
    """Normalise a clock reading (epoch seconds or aware datetime) to epoch seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            # A naive reading is ambiguous; the clock contract says UTC.
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


def now_ms(clock: Clock) -> int:
    """Read the clock as integer epoch milliseconds (QStash's unit)."""
    return int(to_epoch(clock()) * 1000)


def parse_duration(text: str) -> float:
    """Parse "10s", "1m", "2h", "1d", "3d5h12m" or a bare number of seconds."""
    text = (text or "").strip()
    if not text:
        raise ValueError("empty duration")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"invalid duration: {text!r}")
    return total
