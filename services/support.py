"""The QStash health page's service (support, admin): QStash's own view of schedules, events and dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.domain import Actor
from services.errors import Forbidden, UserError
from services.qstash.port import Scheduler
from services.store import Store


@dataclass(frozen=True)
class QStashSchedule:
    """One QStash schedule and the stored message it fires, if any."""

    schedule_id: str
    cron: str
    paused: bool
    created_at: int | None  # QStash's unix milliseconds
    destination: str
    message_id: str | None


@dataclass(frozen=True)
class FlowKey:
    """One QStash flow-control key as support sees it."""

    key: str
    waiting: int  # messages in the waitlist
    rate: int  # 0: no rate limit
    period: int  # seconds
    parallelism: int  # 0: no parallelism limit
    running: int  # deliveries in flight now
    paused: bool


class SupportService:
    """What support staff read and do on the QStash health page; every call needs support or admin."""

    def __init__(self, store: Store, scheduler: Scheduler):
        self.store = store
        self.scheduler = scheduler

    def database_ok(self, actor: Actor) -> bool:
        """True when the database answers."""
        _require_support(actor)
        return self.store.ping()

    def last_activity(self, actor: Actor) -> datetime | None:
        """When a delivery last changed."""
        _require_support(actor)
        return self.store.log.last_activity()

    def schedules(self, actor: Actor) -> list[QStashSchedule]:
        """Every schedule QStash holds, with the message behind it."""
        _require_support(actor)
        return [
            QStashSchedule(
                s.schedule_id,
                s.cron,
                s.paused,
                s.created_at,
                s.destination,
                self.store.messages.find_by_qstash_id(s.schedule_id),
            )
            for s in self.scheduler.schedules()
        ]

    def events(self, actor: Actor, count: int = 100) -> list[Any]:
        """QStash's recent events (SDK log records), newest first."""
        _require_support(actor)
        return self.scheduler.logs(count=count).logs

    def dead_letters(self, actor: Actor) -> list[Any]:
        """Messages QStash gave up on (SDK DLQ records)."""
        _require_support(actor)
        return self.scheduler.dead_letters().messages

    def retry_dead_letter(self, actor: Actor, dlq_id: str) -> str:
        """Send a dead letter again; returns the new QStash message id."""
        _require_support(actor)
        return self.scheduler.retry_dead_letter(dlq_id)

    def delete_dead_letter(self, actor: Actor, dlq_id: str) -> None:
        """Remove a dead letter once it is dealt with."""
        _require_support(actor)
        self.scheduler.delete_dead_letter(dlq_id)

    def flow_keys(self, actor: Actor) -> list[FlowKey]:
        """QStash's flow-control keys: waitlist, rate, parallelism, pause."""
        _require_support(actor)
        return [
            FlowKey(
                f.key, f.wait_list_size, f.rate_max, f.rate_period, f.parallelism_max, f.parallelism_count, f.is_paused
            )
            for f in self.scheduler.flow_controls()
        ]

    def pause_flow(self, actor: Actor, key: str) -> None:
        """Hold every message of a key (e.g. while the chat provider is down); audited."""
        _require_support(actor)
        self.store.audit.audited(actor, "flow_pause", {"key": _flow_key(key)}, lambda: self.scheduler.pause_flow(key))

    def resume_flow(self, actor: Actor, key: str) -> None:
        """Release a paused key; audited."""
        _require_support(actor)
        self.store.audit.audited(actor, "flow_resume", {"key": _flow_key(key)}, lambda: self.scheduler.resume_flow(key))


def _flow_key(key: str) -> str:
    """A key QStash could have: it goes into a URL path."""
    if not key or len(key) > 200 or any(ch in key for ch in "/?#%") or not key.isprintable() or " " in key:
        raise UserError("That is not a flow-control key.")
    return key


def _require_support(actor: Actor) -> None:
    """Refuse coaches: QStash's view spans every coach."""
    if not actor.sees_all_coaches:
        raise Forbidden("This is for support staff.")
