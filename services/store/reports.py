"""Support's reports: failed deliveries of a week in groups, and the schedules of a month with their activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, literal, or_, select

from services.db.schema import accounts, audit_events, clients, deliveries, delivery_counts
from services.db.schema import scheduled_messages as messages
from services.domain import Actor
from services.store.audit import load_values
from services.store.base import Repository, scoped
from services.store.in_list import one_of

GROUPINGS = ("reason", "coach", "client")
ACTIVE = ("scheduled", "paused", "error")  # may still send (paused: after a resume; error: after a repair)
_KEYS = {
    "reason": func.coalesce(deliveries.c.last_error, ""),
    "coach": deliveries.c.coach_id,
    "client": deliveries.c.client_id,
}


class ReportRepository(Repository):
    """Read-only queries of the Reports page; every one reads a range of an index, never a whole table."""

    def _failed(self, query, actor: Actor, since: datetime, until: datetime):
        """Failed deliveries last changed in [since, until): a range of ix_deliveries_status_updated."""
        query = query.where(
            deliveries.c.status == "failed", deliveries.c.updated_at >= since, deliveries.c.updated_at < until
        )
        return scoped(query, deliveries.c.coach_id, actor)

    def failure_groups(self, actor: Actor, since: datetime, until: datetime, by: str) -> list[dict]:
        """Failures in the window grouped by reason, coach or client: key, label, failures, messages, last."""
        key = _KEYS[by].label("key")
        grouped = self._failed(
            select(
                key,
                func.count().label("failures"),
                func.count(deliveries.c.message_id.distinct()).label("messages"),
                func.max(deliveries.c.updated_at).label("last"),
            ),
            actor,
            since,
            until,
        ).group_by(key)
        g = grouped.subquery()
        if by == "coach":
            query = select(g, accounts.c.display_name.label("label"), literal("").label("coach")).join(
                accounts, accounts.c.id == g.c.key
            )
        elif by == "client":
            owner = accounts.alias("owner")
            query = (
                select(g, clients.c.name.label("label"), owner.c.display_name.label("coach"))
                .join(clients, clients.c.id == g.c.key)
                .join(owner, owner.c.id == clients.c.coach_id)
            )
        else:
            query = select(g, g.c.key.label("label"), literal("").label("coach"))
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query.order_by(g.c.failures.desc(), g.c.key)).mappings()]
        return rows

    def group_ids(self, actor: Actor, since: datetime, until: datetime, by: str, key: str) -> list[str]:
        """The ids of the failed deliveries in one group of the window."""
        query = self._failed(select(deliveries.c.id), actor, since, until).where(_KEYS[by] == key)
        with self.engine.connect() as conn:
            return list(conn.scalars(query.order_by(deliveries.c.id)))

    def audited_schedules(
        self, actor: Actor, since: datetime, until: datetime, limit: int | None = None, offset: int = 0
    ) -> tuple[list[dict], int]:
        """Schedules active now, or changed or sending in the window (by owner, then title), and their total."""
        changed = select(audit_events.c.message_id).where(audit_events.c.at >= since, audit_events.c.at < until)
        sending = select(delivery_counts.c.message_id).where(
            delivery_counts.c.hour >= _hour(since), delivery_counts.c.hour < until
        )
        live = messages.c.deleted_at.is_(None) & messages.c.status.in_(ACTIVE)
        query = scoped(
            select(messages, accounts.c.display_name.label("owner"), accounts.c.email.label("owner_email"))
            .join(accounts, accounts.c.id == messages.c.coach_id)
            .where(or_(live, messages.c.id.in_(changed), messages.c.id.in_(sending))),
            messages.c.coach_id,
            actor,
        )
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            query = query.order_by(accounts.c.display_name, messages.c.title, messages.c.id).offset(max(0, offset))
            rows = conn.execute(query if limit is None else query.limit(limit)).mappings()
            return [dict(r) for r in rows], total

    def outcomes_in(self, message_ids: list[str], since: datetime, until: datetime) -> dict[str, dict[str, int]]:
        """Message id → {status: deliveries last changed in [since, until)}, sent and failed only.

        Whole UTC hours come from the hourly summary; the part-hours at either end (a zone like Asia/Kolkata
        starts its month at :30) are counted from deliveries through their (status, updated_at) index.
        """
        first, last = _hour(since, up=True), _hour(until)
        spans = [(since, until)] if first >= last else [(since, first), (last, until)]
        found: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            dialect = conn.dialect.name
            queries = [
                _outcomes(deliveries.c.updated_at, func.count(), start, end, message_ids, dialect)
                for start, end in spans
                if start < end
            ]
            if first < last:
                n = func.sum(delivery_counts.c.n)
                queries.append(_outcomes(delivery_counts.c.hour, n, first, last, message_ids, dialect))
            for query in queries:
                for message_id, status, count in conn.execute(query):
                    counts = found.setdefault(message_id, {})
                    counts[status] = counts.get(status, 0) + int(count)
        return found

    def changes_in(self, message_ids: list[str], since: datetime, until: datetime) -> list[dict]:
        """Audit events of these messages in [since, until), oldest first, with values parsed and who by name."""
        query = select(audit_events, accounts.c.display_name.label("actor_name")).outerjoin(
            accounts, accounts.c.id == audit_events.c.actor_id
        )
        query = query.where(
            audit_events.c.at >= since,
            audit_events.c.at < until,
            one_of(audit_events.c.message_id, message_ids, self.engine.dialect.name),
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(audit_events.c.at, audit_events.c.id)).mappings().all()
        return [
            dict(r) | {"old_values": load_values(r["old_values"]), "new_values": load_values(r["new_values"])}
            for r in rows
        ]


def _outcomes(at, count, start: datetime, end: datetime, message_ids: list[str], dialect: str):
    """(message id, status, count) of sent and failed rows of `at`'s table with start <= at < end."""
    table = at.table
    return (
        select(table.c.message_id, table.c.status, count)
        .where(
            table.c.status.in_(("sent", "failed")),
            at >= start,
            at < end,
            one_of(table.c.message_id, message_ids, dialect),
        )
        .group_by(table.c.message_id, table.c.status)
    )


def _hour(at: datetime, up: bool = False) -> datetime:
    """The whole hour at or before `at` (up=True: at or after)."""
    whole = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return whole + timedelta(hours=1) if up and whole != at else whole
