"""What the send calendar reads: scheduled messages, and their active audiences counted per client zone."""

from __future__ import annotations

from sqlalchemy import func, select

from services.db.schema import client_tags, clients, message_recipients
from services.db.schema import scheduled_messages as messages
from services.domain import Actor
from services.store.base import Repository, scoped

# The columns the calendar works out sends from.
_COLUMNS = (
    messages.c.id,
    messages.c.coach_id,
    messages.c.title,
    messages.c.target,
    messages.c.target_tag,
    messages.c.kind,
    messages.c.send_at,
    messages.c.cron,
    messages.c.timezone,
    messages.c.zone_mode,
    messages.c.end_at,
    messages.c.max_occurrences,
    messages.c.occurrences,
)


class CalendarRepository(Repository):
    """Grouped reads: a few statements whatever the number of messages and clients."""

    def scheduled(self, actor: Actor, coach_id: str | None = None) -> list[dict]:
        """Every message of the actor's that will still send (status scheduled, not deleted), oldest first: the
        calendar's counts are complete or wrong, so there is no limit (a cap of 5,000 once dropped the newest)."""
        query = scoped(
            select(*_COLUMNS).where(messages.c.status == "scheduled", messages.c.deleted_at.is_(None)),
            messages.c.coach_id,
            actor,
        )
        if coach_id:
            query = query.where(messages.c.coach_id == coach_id)
        with self.engine.connect() as conn:
            result = conn.execute(query.order_by(messages.c.created_at, messages.c.id))
            names = tuple(result.keys())  # once, not a mapping view per row: 10,000 rows are read on each render
            return [dict(zip(names, row, strict=True)) for row in result]

    def audiences(self, actor: Actor, coach_id: str | None = None) -> dict[tuple, dict[str, int]]:
        """Zone → active clients, for each audience a message can name: ("all", coach), ("tag", coach, tag) and
        ("clients", message)."""
        active = self._active(actor, coach_id)
        everyone = select(clients.c.coach_id, clients.c.timezone, func.count()).where(active)
        everyone = everyone.group_by(clients.c.coach_id, clients.c.timezone)
        tagged = (
            select(clients.c.coach_id, client_tags.c.tag, clients.c.timezone, func.count())
            .join(client_tags, client_tags.c.client_id == clients.c.id)
            .where(active)
            .group_by(clients.c.coach_id, client_tags.c.tag, clients.c.timezone)
        )
        chosen = (
            select(message_recipients.c.message_id, clients.c.timezone, func.count())
            .join(clients, clients.c.id == message_recipients.c.client_id)
            .join(messages, messages.c.id == message_recipients.c.message_id)
            .where(active, messages.c.status == "scheduled", messages.c.deleted_at.is_(None))
            .group_by(message_recipients.c.message_id, clients.c.timezone)
        )
        found: dict[tuple, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for kind, query in (("all", everyone), ("tag", tagged), ("clients", chosen)):
                for *key, zone, count in conn.execute(query):
                    found.setdefault((kind, *key), {})[zone] = int(count)
        return found

    @staticmethod
    def _active(actor: Actor, coach_id: str | None):
        """Active clients the actor may see (one coach's when filtered)."""
        condition = clients.c.active.is_(True)
        if not actor.sees_all_coaches:
            condition = condition & (clients.c.coach_id == actor.account_id)
        if coach_id:
            condition = condition & (clients.c.coach_id == coach_id)
        return condition
