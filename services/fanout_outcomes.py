"""Per-recipient outcomes of a fan-out, written to the store a batch at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from services.store import Store


class OutcomeBuffer:
    """Collects sent and failed recipients from the send workers and records them in batches.

    A crash loses at most the unflushed outcomes: those rows stay claimed by this attempt, so QStash's retry
    takes them over and resends them under the same chat message id, which the provider reports as already
    delivered. That is the same guarantee a per-recipient write gives, at one write per batch.
    """

    def __init__(
        self,
        store: Store,
        batch: int = 500,
        max_age: float = 0.25,
        monotonic: Callable[[], float] = time.monotonic,
        on_recorded: Callable[[list, list], None] | None = None,
    ):
        self.store = store
        self.on_recorded = on_recorded  # told (sent, failed) after each write: the metrics count recorded outcomes
        self.batch = max(1, batch)
        self.max_age = max_age  # a slow, paced fan-out still shows progress in the log
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._sent: list[tuple[str, str]] = []
        self._failed: list[tuple[str, str, bool]] = []
        self._since = monotonic()

    def sent(self, delivery_id: str, chat_message_id: str) -> None:
        """Note a delivered message."""
        self._add(lambda: self._sent.append((delivery_id, chat_message_id)))

    def failed(self, delivery_id: str, error: str, permanent: bool) -> None:
        """Note a failure: permanent ones are final, transient ones go back to pending for QStash's retry."""
        self._add(lambda: self._failed.append((delivery_id, error, permanent)))

    def add_many(self, sent: list[tuple[str, str]], failed: list[tuple[str, str, bool]]) -> None:
        """Note a whole batch's outcomes (a batch gateway) and record them in one write."""
        with self._lock:
            self._sent += sent
            self._failed += failed
        self.flush()

    def _add(self, append: Callable[[], None]) -> None:
        """Append under the lock; flush when the batch is full or old enough."""
        with self._lock:
            if not (self._sent or self._failed):
                self._since = self.monotonic()
            append()
            full = len(self._sent) + len(self._failed) >= self.batch
            due = full or self.monotonic() - self._since >= self.max_age
        if due:
            self.flush()

    def flush(self) -> None:
        """Write everything noted so far (one transaction)."""
        with self._lock:
            sent, failed = self._sent, self._failed
            self._sent, self._failed = [], []
        if sent or failed:
            self.store.deliveries.record_outcomes(sent, failed)
            if self.on_recorded is not None:
                self.on_recorded(sent, failed)
