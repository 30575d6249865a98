"""The stand-in's test knobs: per-endpoint rate limits and fault injection."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class RateLimiter:
    """Fixed windows per endpoint, like Stream's 1-minute app limits."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._limits: dict[str, tuple[int, float]] = {}
        self._windows: dict[str, tuple[float, int]] = {}  # endpoint -> (start, used)
        self._history: dict[str, list[list]] = {}  # endpoint -> [start, allowed, refused] per window so far

    def set_limit(self, endpoint: str, limit: int | None, window: float = 60.0) -> None:
        """Allow `limit` calls to endpoint per `window` seconds; None lifts the limit."""
        with self._lock:
            self._windows.pop(endpoint, None)
            self._history.pop(endpoint, None)
            if limit is None:
                self._limits.pop(endpoint, None)
            else:
                self._limits[endpoint] = (limit, window)

    def windows(self, endpoint: str) -> list[tuple[float, int, int]]:
        """Every window of a limited endpoint so far: (start, calls allowed, calls answered 429)."""
        with self._lock:
            return [tuple(w) for w in self._history.get(endpoint, [])]

    def take(self, endpoint: str, now: float | None = None) -> tuple[bool, dict]:
        """Count one call; returns (allowed, the x-ratelimit-* headers) ({} if unlimited)."""
        now = self._clock() if now is None else now
        with self._lock:
            if endpoint not in self._limits:
                return True, {}
            limit, window = self._limits[endpoint]
            start, used = self._windows.get(endpoint, (now, 0))
            if now >= start + window:
                start, used = now, 0
            allowed = used < limit
            used += 1 if allowed else 0
            self._windows[endpoint] = (start, used)
            history = self._history.setdefault(endpoint, [])
            if not history or history[-1][0] != start:
                history.append([start, 0, 0])
            history[-1][1 if allowed else 2] += 1
        return allowed, {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - used)),
            "x-ratelimit-reset": str(math.ceil(start + window)),
        }


@dataclass
class Fault:
    """One injected failure: an HTTP error, or 'drop' (close the connection unanswered)."""

    status: int = 500
    code: int = -1
    message: str = "internal server error (injected)"
    endpoint: str | None = None  # None matches every endpoint
    message_id: str | None = None  # only sends of this message id
    times: int | None = 1  # None: until cleared
    drop: bool = False
    reset_in: float = 60.0  # for 429: x-ratelimit-reset = now + reset_in


class Faults:
    """Injected faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def windows(self, endpoint: str) -> list[tuple[float, int, int]]:
        """Every window of a limited endpoint so far: (start, calls allowed, calls answered 429)."""
        with self._lock:
            return [tuple(w) for w in self._history.get(endpoint, [])]

    def take(self, endpoint: str, message_id: str | None) -> Fault | None:
        """The first fault matching this call, counting it down."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in (None, endpoint):
                    continue
                if fault.message_id is not None and fault.message_id != message_id:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
