"""Read-only figures for alerts and the health page: outcomes, lateness samples, due firings and runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select

from services.db.schema import accounts, deliveries, delivery_runs, scheduled_messages
from services.store.base import Repository

LATENESS_SAMPLE = 10_000  # the most recent sends a percentile is computed from


class OpsStatsRepository(Repository):
    """Across every coach: only the operator-facing services call these."""

    def outcome_counts(self, since: datetime) -> dict[str, int]:
        """Deliveries that ended sent or failed since a time (index: status, updated_at)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.status, func.count())
                .where(deliveries.c.status.in_(("sent", "failed")), deliveries.c.updated_at >= since)
                .group_by(deliveries.c.status)
            )
            return dict(rows.all())

    def sent_samples(self, since: datetime, limit: int = LATENESS_SAMPLE) -> list[tuple]:
        """(kind, send_at, timezone, slot, zone, sent_at) of the latest sends since a time."""
        query = (
            select(
                scheduled_messages.c.kind,
                scheduled_messages.c.send_at,
                scheduled_messages.c.timezone,
                deliveries.c.slot,
                delivery_runs.c.zone,
                deliveries.c.sent_at,
            )
            .join(scheduled_messages, scheduled_messages.c.id == deliveries.c.message_id)
            .outerjoin(delivery_runs, delivery_runs.c.id == deliveries.c.run_id)
            .where(deliveries.c.status == "sent", deliveries.c.updated_at >= since, deliveries.c.sent_at.is_not(None))
            .order_by(deliveries.c.updated_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def runs_since(self, since: datetime) -> int:
        """Webhook runs started since a time (any message, any outcome)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).where(delivery_runs.c.started_at >= since))

    def due_once(self, start: datetime, end: datetime) -> list[datetime]:
        """Send times of one-time messages still waiting to fire although due between start and end."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    _live(select(scheduled_messages.c.send_at)).where(
                        scheduled_messages.c.kind == "once",
                        scheduled_messages.c.send_at >= start,
                        scheduled_messages.c.send_at <= end,
                    )
                )
            )

    def live_recurring(self) -> list[tuple[str, str, datetime | None]]:
        """(cron, timezone, end_at) of every recurring message that should be firing."""
        with self.engine.connect() as conn:
            query = _live(select(scheduled_messages.c.cron, scheduled_messages.c.timezone, scheduled_messages.c.end_at))
            return [tuple(row) for row in conn.execute(query.where(scheduled_messages.c.kind != "once"))]


def _live(query):
    """Scheduled, not deleted, and owned by an active coach: what QStash should be firing."""
    return query.join(accounts, accounts.c.id == scheduled_messages.c.coach_id).where(
        and_(
            scheduled_messages.c.status == "scheduled",
            scheduled_messages.c.deleted_at.is_(None),
            accounts.c.active.is_(True),
        )
    )
