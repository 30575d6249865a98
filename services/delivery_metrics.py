"""What a fan-out tells the metrics: recorded outcomes per chat provider, and how late each send was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services import recurrence
from services.domain import Message
from services.observability.metrics import Metrics
from services.qstash.registrar import same_wall_clock
from services.store.base import Clock


def scheduled_at(message: Message, zone: str, slot: str) -> datetime | None:
    """The instant an occurrence was due: the send time in the zone group, or the slot's local wall-clock time."""
    if slot == "once":
        return same_wall_clock(message.send_at, message.timezone, zone) if message.send_at else None
    try:
        local = datetime.fromisoformat(slot)
    except ValueError:
        return None
    return local.replace(tzinfo=recurrence.zone(zone)).astimezone(UTC)


class FanoutMetrics:
    """Counts one provider's recorded outcomes and observes lateness, for the fan-outs of one service."""

    def __init__(self, metrics: Metrics, provider: str, clock: Clock):
        self.metrics = metrics
        self.provider = provider
        self.clock = clock

    def recorder(self, message: Message, zone: str, slot: str) -> Callable[[list, list], None]:
        """The OutcomeBuffer callback for one occurrence: (sent, failed) rows just written."""
        due = scheduled_at(message, zone, slot)

        def recorded(sent: list, failed: list) -> None:
            count = self.metrics.deliveries
            if sent:
                count.labels("sent", self.provider).inc(len(sent))
                if due is not None:
                    late = max(0.0, (self.clock() - due).total_seconds())
                    for _ in sent:
                        self.metrics.lateness.observe(late)
            permanent = sum(1 for *_, final in failed if final)
            if permanent:
                count.labels("failed", self.provider).inc(permanent)
            if len(failed) > permanent:
                count.labels("retry", self.provider).inc(len(failed) - permanent)

        return recorded
