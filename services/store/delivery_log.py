"""The delivery log as support reads it: filtered pages, counts and per-day figures computed in SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, String, cast, func, select

from services.db.schema import accounts, clients, deliveries, delivery_runs
from services.db.schema import scheduled_messages as messages
from services.domain import Actor
from services.store.base import Repository, matches_any, page_of, scoped


class DeliveryLogRepository(Repository):
    """Read-only queries behind the Delivery Log page."""

    def _filtered(
        self, query, actor: Actor, status=None, message_id=None, coach_id=None, since=None, until=None, search=None
    ):
        """Apply the log's filters to a query over deliveries."""
        query = scoped(query, deliveries.c.coach_id, actor)
        if status:
            query = query.where(deliveries.c.status == status)
        if message_id:
            query = query.where(deliveries.c.message_id == message_id)
        if coach_id:
            query = query.where(deliveries.c.coach_id == coach_id)
        if since:
            query = query.where(deliveries.c.updated_at >= since)
        if until:
            query = query.where(deliveries.c.updated_at < until)
        if search:
            query = query.where(matches_any(search, clients.c.name, messages.c.title, deliveries.c.last_error))
        return query

    def page(self, actor: Actor, limit: int = 50, offset: int = 0, **filters) -> tuple[list[dict], int]:
        """A page of deliveries (newest first) with client, message and coach names, and the total."""
        query = (
            select(
                deliveries.c.id,
                deliveries.c.updated_at,
                deliveries.c.slot,
                deliveries.c.status,
                deliveries.c.attempts,
                deliveries.c.last_error,
                deliveries.c.sent_at,
                deliveries.c.chat_message_id,
                deliveries.c.message_id,
                deliveries.c.client_id,
                messages.c.title.label("message"),
                clients.c.name.label("client"),
                accounts.c.display_name.label("coach"),
            )
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(clients, clients.c.id == deliveries.c.client_id)
            .join(accounts, accounts.c.id == deliveries.c.coach_id)
        )
        query = self._filtered(query, actor, **filters)
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            rows = conn.execute(page_of(query.order_by(deliveries.c.updated_at.desc(), deliveries.c.id), limit, offset))
            return [dict(r) for r in rows.mappings()], total

    def status_counts(self, actor: Actor, **filters) -> dict[str, int]:
        """Status → count under the same filters."""
        query = (
            select(deliveries.c.status, func.count())
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(clients, clients.c.id == deliveries.c.client_id)
        )
        query = self._filtered(query, actor, **filters).group_by(deliveries.c.status)
        with self.engine.connect() as conn:
            return dict(conn.execute(query).all())

    def per_day(self, actor: Actor, **filters) -> list[dict]:
        """Deliveries per UTC day and status, for the chart."""
        # SQLite has no DATE type (CAST gives a number); its date() gives the ISO day.
        if self.engine.dialect.name == "sqlite":
            day = func.date(deliveries.c.updated_at, type_=String).label("day")
        else:
            day = cast(deliveries.c.updated_at, Date).label("day")
        query = (
            select(day, deliveries.c.status, func.count().label("count"))
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(clients, clients.c.id == deliveries.c.client_id)
        )
        query = self._filtered(query, actor, **filters).group_by(day, deliveries.c.status).order_by(day)
        with self.engine.connect() as conn:
            return [{"day": str(d)[:10], "status": s, "count": n} for d, s, n in conn.execute(query)]

    def runs(self, actor: Actor, message_id: str | None = None, limit: int = 50, offset: int = 0) -> list[dict]:
        """Recent webhook runs, newest first."""
        query = select(delivery_runs, messages.c.title.label("message")).join(
            messages, messages.c.id == delivery_runs.c.message_id
        )
        query = scoped(query, delivery_runs.c.coach_id, actor)
        if message_id:
            query = query.where(delivery_runs.c.message_id == message_id)
        with self.engine.connect() as conn:
            rows = conn.execute(page_of(query.order_by(delivery_runs.c.started_at.desc()), limit, offset))
            return [dict(r) for r in rows.mappings()]

    def failed_ids(self, actor: Actor, delivery_ids: list[str]) -> list[tuple[str, str, str, str, str]]:
        """(delivery id, message id, coach id, slot, client id) of the failed rows among these the actor may retry."""
        query = scoped(
            select(
                deliveries.c.id,
                deliveries.c.message_id,
                deliveries.c.coach_id,
                deliveries.c.slot,
                deliveries.c.client_id,
            ).where(deliveries.c.id.in_(delivery_ids), deliveries.c.status == "failed"),
            deliveries.c.coach_id,
            actor,
        )
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def last_activity(self) -> datetime | None:
        """When a delivery last changed (health page)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(func.max(deliveries.c.updated_at)))
