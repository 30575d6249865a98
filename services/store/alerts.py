"""Alert rows: open one per condition, resolve it once, and hand each owed notice to exactly one sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from services.db.schema import alerts
from services.store.base import Repository, new_id
from services.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class Alert:
    """One alert: a condition that was (or still is) true, and what it said when it opened."""

    id: str
    condition: str
    detail: str
    opened_at: datetime
    resolved_at: datetime | None
    last_notified: datetime | None
    notice_due: str | None


class AlertRepository(Repository):
    """Alerts kept so that each condition opens once until it clears (no storms), even with checkers racing."""

    def open(self, condition: str, detail: str) -> bool:
        """Open an alert for the condition; True only for the caller that opened it (False: already open)."""
        row = {
            "id": new_id(),
            "condition": condition,
            "open_key": condition,
            "detail": detail[:2000],
            "opened_at": self.clock(),
            "notice_due": "opened",
        }
        with self.engine.begin() as conn:
            # The UNIQUE open_key is the guard: a second checker's insert conflicts and changes nothing.
            return insert_ignoring_conflicts(conn, alerts, [row]) == 1

    def resolve(self, condition: str) -> bool:
        """Close the condition's open alert; True only for the caller that closed it."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(alerts)
                .where(alerts.c.open_key == condition)
                .values(open_key=None, resolved_at=self.clock(), notice_due="resolved")
            )
            return result.rowcount == 1

    def open_alerts(self) -> list[Alert]:
        """Alerts open now, oldest first (the dashboard's banner and the health page)."""
        return self._select(alerts.c.open_key.is_not(None))

    def owed(self) -> list[Alert]:
        """Alerts with a notice not yet sent (opened or resolved), oldest first."""
        return self._select(alerts.c.notice_due.is_not(None))

    def take_notice(self, alert: Alert) -> bool:
        """Claim the alert's owed notice: True for exactly one caller, who must send it (or give it back)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(alerts)
                .where(alerts.c.id == alert.id, alerts.c.notice_due == alert.notice_due)
                .values(notice_due=None, last_notified=self.clock())
            )
            return result.rowcount == 1

    def give_back_notice(self, alert: Alert) -> None:
        """The notice could not be sent: owe it again (unless a newer one is owed meanwhile)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert.id, alerts.c.notice_due.is_(None))
                .values(notice_due=alert.notice_due, last_notified=alert.last_notified)
            )

    def history(self, limit: int = 50) -> list[Alert]:
        """The latest alerts, open or resolved, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(alerts).order_by(alerts.c.opened_at.desc(), alerts.c.id).limit(limit))
            return [_alert(r) for r in rows]

    def _select(self, where) -> list[Alert]:
        """Alerts matching a condition, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(alerts).where(where).order_by(alerts.c.opened_at, alerts.c.id))
            return [_alert(r) for r in rows]


def _alert(row) -> Alert:
    """A row as an Alert."""
    return Alert(row.id, row.condition, row.detail, row.opened_at, row.resolved_at, row.last_notified, row.notice_due)
