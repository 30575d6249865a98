"""Alerts: check each condition, open or resolve its alert, and send every owed notice exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable

from services.alert_conditions import TITLES, Conditions, Reading
from services.alert_notifier import SlackNotifier
from services.domain import Actor
from services.errors import Forbidden, SchedulerUnavailable
from services.qstash.port import ALERT_CHECK_PATH, ALERT_CHECK_SCHEDULE_ID, WEBHOOK_PATH, Scheduler
from services.store import Store
from services.store.alerts import Alert
from services.store.base import Clock

log = logging.getLogger(__name__)


class AlertService:
    """One alert per condition until it clears, then one "resolved" notice; state lives in the store."""

    def __init__(self, store: Store, conditions: Conditions, notifier: SlackNotifier, clock: Clock):
        self.store = store
        self.conditions = conditions
        self.notifier = notifier
        self.clock = clock

    def check(self) -> list[Reading]:
        """Read every condition, open or resolve alerts, send owed notices; returns what was read."""
        now = self.clock()
        readings = []
        checks: list[Callable] = [
            self.conditions.failure_rate,
            self.conditions.dead_letters,
            self.conditions.drift,
            self.conditions.lateness,
            self.conditions.webhook_unreachable,
        ]
        for check in checks:
            try:
                reading = check(now)
            except SchedulerUnavailable as exc:
                # QStash did not answer this read: neither open nor resolve on no evidence.
                log.warning("alert condition %s not checked: %s", check.__name__, exc.message)
                continue
            self.apply(reading)
            readings.append(reading)
        self.send_owed()
        return readings

    def apply(self, reading: Reading) -> None:
        """Open the alert of a condition that holds, resolve one that no longer does."""
        if reading.holds:
            self.store.alerts.open(reading.condition, reading.detail)
        else:
            self.store.alerts.resolve(reading.condition)

    def raise_now(self, reading: Reading) -> None:
        """Open (if not open yet) and send the notice at once: a failure callback need not wait for the next check."""
        self.apply(reading)
        self.send_owed()

    def send_owed(self) -> int:
        """Send each notice still owed; a concurrent checker never sends the same one. Returns how many went."""
        sent = 0
        for alert in self.store.alerts.owed():
            if not self.store.alerts.take_notice(alert):
                continue  # another checker took it
            if self.notifier.post(notice_text(alert)):
                sent += 1
            else:
                self.store.alerts.give_back_notice(alert)
        return sent

    def open_alerts(self, actor: Actor) -> list[Alert]:
        """Alerts open now (support and admin only)."""
        if not actor.sees_all_coaches:
            raise Forbidden("This is for support staff.")
        return self.store.alerts.open_alerts()


def notice_text(alert: Alert) -> str:
    """The alert webhook's text for an opened or resolved alert."""
    title = TITLES.get(alert.condition, alert.condition)
    if alert.notice_due == "resolved":
        return f":white_check_mark: Resolved: {title} (open since {alert.opened_at:%Y-%m-%d %H:%M} UTC)."
    return f":rotating_light: Coach Message Scheduler alert: {title}. {alert.detail}"


def register_check(scheduler: Scheduler, cron: str) -> str:
    """Create or replace the QStash schedule that fires the alert check at the webhook (an upsert: rerun freely)."""
    url = scheduler.webhook_url.removesuffix(WEBHOOK_PATH) + ALERT_CHECK_PATH
    return scheduler.upsert_check(ALERT_CHECK_SCHEDULE_ID, url, cron)
