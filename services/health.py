"""The health page's service (support, admin): live checks with their latency, QStash's view of the webhook,
the last day's delivery figures and the open alerts. Nothing it returns carries a secret."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from services.alert_conditions import lateness_p95
from services.chat.port import ChatError
from services.domain import Actor
from services.errors import Forbidden, UserError
from services.qstash.port import Scheduler
from services.store import Store
from services.store.base import Clock

CHECK_SECONDS = 3.0  # a check that takes longer is reported as not answering; the page never waits longer


@dataclass(frozen=True)
class Probe:
    """One live check: whether it answered well, how fast, and what went wrong in words."""

    name: str
    ok: bool
    latency_ms: float | None
    detail: str


@dataclass(frozen=True)
class LastDelivery:
    """QStash's latest attempt at the webhook URL: its state (DELIVERED, ERROR, FAILED…), when, and the error."""

    state: str
    at_ms: int | None
    error: str


@dataclass(frozen=True)
class DayFigures:
    """The last day's outcomes and lateness."""

    sent: int
    failed: int
    failure_rate: float | None
    lateness_p95_s: float | None


class HealthService:
    """What the health page reads; every call needs support or admin."""

    def __init__(self, store: Store, scheduler: Scheduler, chat: Any, clock: Clock, timeout: float = CHECK_SECONDS):
        self.store = store
        self.scheduler = scheduler
        self.chat = chat
        self.clock = clock
        self.timeout = timeout

    def probes(self, actor: Actor) -> list[Probe]:
        """Database, QStash and chat checked at once, each within the timeout."""
        _require_support(actor)
        checks: dict[str, Callable[[], Any]] = {
            "Database": self._database,
            "QStash": lambda: self.scheduler.logs(count=1),
            "Chat": getattr(self.chat, "ping", lambda: None),
        }
        futures = self._bounded({name: functools.partial(_timed, check) for name, check in checks.items()})
        return [self._probe(name, future) for name, future in futures.items()]

    def _bounded(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Future]:
        """Run the calls at once on their own threads and wait at most the timeout; a hung one is left behind."""
        pool = ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="health")
        futures = {name: pool.submit(call) for name, call in calls.items()}
        pool.shutdown(wait=False)
        wait(futures.values(), timeout=self.timeout)
        return futures

    def _within(self, what: str, call: Callable[[], Any]) -> Any:
        """The call's result; a UserError when it took longer than the timeout (its own UserErrors pass through)."""
        future = self._bounded({what: call})[what]
        if not future.done():
            raise UserError(f"{what} did not answer within {self.timeout:g} s.")
        return future.result()

    def _database(self) -> None:
        """SELECT 1, raising when the database does not answer."""
        if not self.store.ping():
            raise ConnectionError("the database did not answer")

    def _probe(self, name: str, future) -> Probe:
        """A finished, failed or timed-out check in words (errors by type and our own message, no secrets)."""
        if not future.done():
            return Probe(name, False, None, f"no answer within {self.timeout:g} s")
        error, seconds = future.result()
        return Probe(name, error is None, seconds * 1000, error or "ok")

    def webhook_url(self, actor: Actor) -> str:
        """The URL QStash delivers firings to (any user:password in it left out)."""
        _require_support(actor)
        parts = urlsplit(self.scheduler.webhook_url)
        return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

    def last_delivery(self, actor: Actor) -> LastDelivery | None:
        """QStash's latest attempt at the webhook URL, from its logs; None when it has made none yet."""
        _require_support(actor)
        page = self._within("QStash", lambda: self.scheduler.logs(count=50, url=self.scheduler.webhook_url))
        for event in page.logs:
            state = str(getattr(event.state, "value", event.state))
            if state in ("DELIVERED", "ERROR", "FAILED"):
                return LastDelivery(state, event.time, event.error or "")
        return None

    def last_day(self, actor: Actor) -> DayFigures:
        """Sent and failed deliveries over the last 24 hours, the failure rate and p95 lateness."""
        _require_support(actor)
        since = self.clock() - timedelta(days=1)
        counts = self._within("The database", lambda: self.store.ops.outcome_counts(since))
        sent, failed = counts.get("sent", 0), counts.get("failed", 0)
        rate = failed / (sent + failed) if sent + failed else None
        return DayFigures(sent, failed, rate, self._within("The database", lambda: lateness_p95(self.store, since)))

    def now(self) -> datetime:
        """The service's clock (for 'checked at')."""
        return self.clock()


def _timed(check: Callable[[], Any]) -> tuple[str | None, float]:
    """Run a check: (None or what went wrong, seconds taken)."""
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a health check reports any failure instead of raising it
        # Our own messages (QStash's SchedulerUnavailable, the chat gateway's scrubbed errors); else only the type.
        message = getattr(exc, "message", None) or (str(exc) if isinstance(exc, ChatError) else type(exc).__name__)
        return message, time.perf_counter() - started
    return None, time.perf_counter() - started


def _require_support(actor: Actor) -> None:
    """Refuse coaches: health spans every coach."""
    if not actor.sees_all_coaches:
        raise Forbidden("This is for support staff.")
