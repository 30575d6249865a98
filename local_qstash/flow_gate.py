"""Flow control's live counters: deliveries in flight and starts in the current rate period, per key."""

import threading
from dataclasses import dataclass


@dataclass
class KeyState:
    """One key's counters: in-flight deliveries, and the current rate period's start and count."""

    inflight: int = 0
    period_start_ms: int | None = None
    period_count: int = 0


@dataclass(frozen=True)
class Limits:
    """A key's effective limits (None: unlimited) and whether support paused it."""

    rate: int | None
    parallelism: int | None
    period_s: int
    paused: bool = False


class FlowGate:
    """Decides how many of a key's waiting messages may start now; thread-safe (workers release slots)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, KeyState] = {}

    def allowance(self, key: str, limits: Limits, now_ms: int) -> int | None:
        """How many may start now under parallelism and rate (None: no limit applies)."""
        if limits.paused:
            return 0
        with self._lock:
            state = self._keys.setdefault(key, KeyState())
            self._roll(state, limits, now_ms)
            room = []
            if limits.parallelism is not None:
                room.append(limits.parallelism - state.inflight)
            if limits.rate is not None:
                room.append(limits.rate - state.period_count)
        return max(0, min(room)) if room else None

    def started(self, key: str, count: int, limits: Limits, now_ms: int) -> None:
        """Count `count` deliveries of the key as started now."""
        with self._lock:
            state = self._keys.setdefault(key, KeyState())
            self._roll(state, limits, now_ms)
            if state.period_start_ms is None:
                state.period_start_ms = now_ms  # a period begins with its first start
            state.inflight += count
            state.period_count += count

    def finished(self, key: str) -> None:
        """A delivery of the key is over (whatever its outcome): its parallelism slot is free."""
        with self._lock:
            state = self._keys.get(key)
            if state is not None and state.inflight > 0:
                state.inflight -= 1

    def reopens_at(self, key: str, limits: Limits) -> int | None:
        """When a rate-blocked key may start again (its period's end), or None if rate is not what blocks it."""
        with self._lock:
            state = self._keys.get(key)
            if limits.paused or limits.rate is None or state is None or state.period_start_ms is None:
                return None
            if state.period_count < limits.rate:
                return None
            return state.period_start_ms + limits.period_s * 1000

    def reset_rate(self, key: str, now_ms: int) -> None:
        """Forget the current period's count; a new period starts now."""
        with self._lock:
            state = self._keys.setdefault(key, KeyState())
            state.period_start_ms, state.period_count = now_ms, 0

    def snapshot(self, key: str, limits: Limits, now_ms: int) -> KeyState:
        """A copy of the key's counters as of now (an expired period reads as empty)."""
        with self._lock:
            state = self._keys.setdefault(key, KeyState())
            self._roll(state, limits, now_ms)
            return KeyState(state.inflight, state.period_start_ms, state.period_count)

    def inflight_total(self) -> int:
        """Deliveries in flight under any key."""
        with self._lock:
            return sum(state.inflight for state in self._keys.values())

    @staticmethod
    def _roll(state: KeyState, limits: Limits, now_ms: int) -> None:
        """End a period that has run out: the next start opens a new one."""
        if state.period_start_ms is not None and now_ms >= state.period_start_ms + limits.period_s * 1000:
            state.period_start_ms, state.period_count = None, 0
