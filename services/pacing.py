"""A thread-safe pacer: at most N sends a minute, and a pause when the provider says wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    """Spaces sends evenly to stay under a per-minute limit; `hold_until` honours X-RateLimit-Reset."""

    def __init__(
        self,
        per_minute: int,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        """Block until this caller may send."""
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            self._sleep(slot - now)

    def hold_for(self, seconds: float) -> None:
        """Nobody sends for the next `seconds` (the provider's rate limit window)."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._monotonic() + max(0.0, seconds))
