"""The conditions an operator is alerted on, each read from the store or QStash as a Reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter

from services import recurrence
from services.config import Settings
from services.domain import Actor
from services.drift import find_drift
from services.lateness import percentile, scheduled_at
from services.qstash.registrar import Registrar
from services.store import Store

SYSTEM = Actor("alert-check", "support")  # the checker reads across coaches, as support does
TITLES = {
    "failure_rate": "Delivery failure rate",
    "dead_letters": "Dead letters in QStash",
    "drift": "Store and QStash disagree",
    "lateness": "Deliveries running late",
    "webhook_unreachable": "Webhook unreachable from QStash",
}


@dataclass(frozen=True)
class Reading:
    """One condition now: whether it holds, and what an operator should read about it."""

    condition: str
    holds: bool
    detail: str


class Conditions:
    """Reads every alert condition; each method answers for one."""

    def __init__(self, store: Store, registrar: Registrar, settings: Settings):
        self.store = store
        self.registrar = registrar
        self.settings = settings

    def failure_rate(self, now: datetime) -> Reading:
        """Failed / (sent + failed) over the window, once there are enough outcomes to judge."""
        window = self.settings.alert_window_minutes
        counts = self.store.ops.outcome_counts(now - timedelta(minutes=window))
        sent, failed = counts.get("sent", 0), counts.get("failed", 0)
        total = sent + failed
        rate = failed / total if total else 0.0
        holds = total >= self.settings.alert_min_deliveries and rate > self.settings.alert_failure_rate
        detail = (
            f"{failed} of {total} deliveries failed in the last {window} min ({rate:.0%}; "
            f"threshold {self.settings.alert_failure_rate:.0%}). See the Delivery Log's last errors."
        )
        return Reading("failure_rate", holds, detail)

    def dead_letters(self, now: datetime) -> Reading:
        """Messages of this deployment QStash gave up on and nobody has retried or deleted yet."""
        base = self.registrar.scheduler.webhook_url.rsplit("/api/", 1)[0]
        letters = [d for d in self.registrar.scheduler.dead_letters().messages if (d.url or "").startswith(base)]
        latest = self.store.dead_letters.recent(1)
        reason = f" Latest: {latest[0].reason}" if latest else ""
        detail = f"{len(letters)} message(s) in QStash's dead-letter queue: retry or delete them on the QStash page."
        return Reading("dead_letters", bool(letters), detail + reason)

    def drift(self, now: datetime) -> Reading:
        """Recurring schedules missing or paused wrongly in QStash, or left there for no message."""
        found = find_drift(self.store, self.registrar, SYSTEM, now, include_once=False)
        listed = "; ".join(f"{d.qstash_id or d.message_id}: {d.problem}" for d in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        detail = f"{len(found)} disagreement(s): {listed}{more}. Use Schedules → Check QStash to repair."
        return Reading("drift", bool(found), detail)

    def lateness(self, now: datetime) -> Reading:
        """The 95th percentile of scheduled time → sent over the window."""
        window = self.settings.alert_window_minutes
        p95 = lateness_p95(self.store, now - timedelta(minutes=window))
        limit = self.settings.alert_lateness_p95_seconds
        holds = p95 is not None and p95 > limit
        shown = "no sends" if p95 is None else f"{p95:.0f} s"
        detail = f"p95 lateness over the last {window} min is {shown} (threshold {limit:.0f} s)."
        return Reading("lateness", holds, detail)

    def webhook_unreachable(self, now: datetime) -> Reading:
        """Firings were due a while ago, yet the webhook has recorded no run since the first of them."""
        window = timedelta(minutes=self.settings.alert_window_minutes)
        grace = timedelta(minutes=self.settings.alert_unreachable_grace_minutes)
        due = self._due(now - window - grace, now - grace)
        holds = bool(due) and self.store.ops.runs_since(min(due)) == 0
        detail = (
            f"{len(due)} firing(s) were due since {min(due):%H:%M} UTC and the webhook recorded none of them: QStash "
            f"cannot reach {self.registrar.scheduler.webhook_url} or is refused (see the QStash page's events)."
            if due
            else "No firing was due."
        )
        return Reading("webhook_unreachable", holds, detail)

    def _due(self, start: datetime, end: datetime) -> list[datetime]:
        """When firings were due between start and end: one-time sends still waiting, recurring occurrences."""
        due = self.store.ops.due_once(start, end)
        for cron, timezone, end_at in self.store.ops.live_recurring():
            at = croniter(cron, end.astimezone(recurrence.zone(timezone))).get_prev(datetime)
            if at >= start and (end_at is None or at <= end_at):
                due.append(at)
        return due


def lateness_p95(store: Store, since: datetime) -> float | None:
    """Seconds from scheduled time to sent, 95th percentile, over the latest sends since a time."""
    samples = [
        (sent_at - scheduled_at(kind, send_at, timezone, slot, zone)).total_seconds()
        for kind, send_at, timezone, slot, zone, sent_at in store.ops.sent_samples(since)
    ]
    return percentile(samples, 0.95)
