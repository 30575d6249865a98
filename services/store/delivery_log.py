"""The delivery log as support reads it: keyset pages, counts and per-day figures from a summary, streamed export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, Row, String, and_, cast, func, or_, select, text

from services.db.schema import accounts, clients, deliveries, delivery_counts, delivery_runs
from services.db.schema import scheduled_messages as messages
from services.domain import Actor
from services.store.base import Repository, matches_any, page_of, scoped
from services.store.in_list import one_of


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

    def _listing(self, minutes: bool = False):
        """Deliveries with client, message and coach names (joined by primary key, row by row of a page).

        minutes=True: sent_at and updated_at come as the database's minute text/value without type conversion
        (see `stream`).
        """
        times = [deliveries.c.updated_at, deliveries.c.sent_at]
        if minutes:
            times = [_minute(self.engine.dialect.name, column) for column in times]
        return (
            select(
                deliveries.c.id,
                times[0],
                deliveries.c.slot,
                deliveries.c.status,
                deliveries.c.attempts,
                deliveries.c.last_error,
                times[1],
                deliveries.c.chat_message_id,
                deliveries.c.message_id,
                deliveries.c.client_id,
                messages.c.title.label("message"),
                messages.c.zone_mode,
                messages.c.timezone.label("message_zone"),
                clients.c.timezone.label("client_zone"),
                clients.c.name.label("client"),
                accounts.c.display_name.label("coach"),
            )
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(clients, clients.c.id == deliveries.c.client_id)
            .join(accounts, accounts.c.id == deliveries.c.coach_id)
        )

    def page(self, actor: Actor, limit: int = 50, offset: int = 0, **filters) -> tuple[list[dict], int]:
        """A page of deliveries (newest first) by offset, and the total (small lists and tests; the page seeks)."""
        query = self._filtered(self._listing(), actor, **filters)
        with self.engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            rows = conn.execute(page_of(query.order_by(deliveries.c.updated_at.desc(), deliveries.c.id), limit, offset))
            return [dict(r) for r in rows.mappings()], total

    def seek(self, actor: Actor, limit: int = 25, after: tuple[datetime, str] | None = None, **filters) -> list[dict]:
        """The page after `after` = (updated_at, id) of the previous page's last row, newest first.

        Keyset paging: the index on (coach_id, updated_at DESC, id) or (updated_at DESC, id) walks straight to
        the page, however deep, where OFFSET would read and drop every row before it.
        """
        query = self._filtered(self._listing(), actor, **filters)
        if after is not None:
            at, last_id = after
            # The plain bound lets the index range start at the cursor; the OR breaks ties on id.
            query = query.where(
                deliveries.c.updated_at <= at,
                or_(deliveries.c.updated_at < at, and_(deliveries.c.updated_at == at, deliveries.c.id > last_id)),
            )
        query = query.order_by(deliveries.c.updated_at.desc(), deliveries.c.id).limit(max(1, min(limit, 500)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def stream(self, actor: Actor, batch: int = 5000, **filters) -> Iterator[Row]:
        """Every delivery under the filters, newest first, from one server-side cursor (for the CSV export).

        Rows, not dicts (attributes as in `page`): a million dicts would cost the export a quarter of its time.

        Times come truncated to the minute (what the log shows) in UTC, as a naive datetime on PostgreSQL and
        'YYYY-MM-DD HH:MM' text on SQLite: converting a million of them per export is what would cost the time.
        """
        query = self._filtered(self._listing(minutes=True), actor, **filters)
        query = query.order_by(deliveries.c.updated_at.desc(), deliveries.c.id)
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # A cursor is planned for its first rows (nested loops); an export reads them all (hash joins).
                conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
            for partition in conn.execution_options(yield_per=batch).execute(query).partitions():
                yield from partition

    def _summary(self, query, actor: Actor, status=None, message_id=None, coach_id=None, since=None, until=None):
        """Apply the log's filters to a query over the summary table."""
        query = scoped(query, delivery_counts.c.coach_id, actor)
        for column, value in ((delivery_counts.c.status, status), (delivery_counts.c.message_id, message_id)):
            if value:
                query = query.where(column == value)
        if coach_id:
            query = query.where(delivery_counts.c.coach_id == coach_id)
        if since:
            query = query.where(delivery_counts.c.hour >= since)
        if until:
            query = query.where(delivery_counts.c.hour < until)
        return query

    def status_counts(self, actor: Actor, **filters) -> dict[str, int]:
        """Status → count under the filters: from the summary, or counted live when it cannot answer exactly."""
        if summary_answers(**filters):
            n = func.sum(delivery_counts.c.n)
            query = self._summary(select(delivery_counts.c.status, n), actor, **_no_search(filters))
            query = query.group_by(delivery_counts.c.status).having(n > 0)
            with self.engine.connect() as conn:
                return {status: int(count) for status, count in conn.execute(query)}
        return self._live_status_counts(actor, **filters)

    def _live_status_counts(self, actor: Actor, **filters) -> dict[str, int]:
        """Status → count grouped over deliveries (a search needs client and message names)."""
        query = (
            select(deliveries.c.status, func.count())
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(clients, clients.c.id == deliveries.c.client_id)
        )
        query = self._filtered(query, actor, **filters).group_by(deliveries.c.status)
        with self.engine.connect() as conn:
            return dict(conn.execute(query).all())

    def per_day(self, actor: Actor, zone_name: str = "UTC", **filters) -> list[dict]:
        """Deliveries per day of `zone_name` and status, for the chart.

        The summary counts per UTC hour, so it answers exactly for a zone whose offsets are whole hours (most of
        the world); a zone such as Asia/Kolkata (+05:30), a text search or bounds inside an hour are counted live
        over deliveries in quarter hours (every zone's offset is a multiple of 15 minutes).
        """
        if not (summary_answers(**filters) and hour_aligned(zone_name, self.clock())):
            return self._live_per_day(actor, zone_name, **filters)
        n = func.sum(delivery_counts.c.n)
        query = self._summary(select(delivery_counts.c.hour, delivery_counts.c.status, n), actor, **_no_search(filters))
        query = query.group_by(delivery_counts.c.hour, delivery_counts.c.status).having(n > 0)
        with self.engine.connect() as conn:
            return local_days(conn.execute(query), zone_name)

    def _live_per_day(self, actor: Actor, zone_name: str = "UTC", **filters) -> list[dict]:
        """Deliveries per day of `zone_name` and status, grouped over deliveries in UTC quarter hours."""
        quarter = _quarter_hour(self.engine.dialect.name, deliveries.c.updated_at)
        query = (
            select(quarter, deliveries.c.status, func.count().label("count"))
            .join(messages, messages.c.id == deliveries.c.message_id)
            .join(clients, clients.c.id == deliveries.c.client_id)
        )
        query = self._filtered(query, actor, **filters).group_by(quarter, deliveries.c.status)
        with self.engine.connect() as conn:
            return local_days(conn.execute(query), zone_name)

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
        found = []
        with self.engine.connect() as conn:
            for start in range(0, len(delivery_ids), 10_000):  # SQLite allows 32,766 parameters a statement
                chunk = delivery_ids[start : start + 10_000]
                query = select(
                    deliveries.c.id,
                    deliveries.c.message_id,
                    deliveries.c.coach_id,
                    deliveries.c.slot,
                    deliveries.c.client_id,
                ).where(one_of(deliveries.c.id, chunk, conn.dialect.name), deliveries.c.status == "failed")
                found += [tuple(r) for r in conn.execute(scoped(query, deliveries.c.coach_id, actor))]
        return found

    def last_activity(self) -> datetime | None:
        """When a delivery last changed (health page)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(func.max(deliveries.c.updated_at)))


def summary_answers(since=None, until=None, search=None, **_filters) -> bool:
    """True when the hourly summary gives exact figures: no text search, bounds on whole UTC hours."""
    whole = all(t is None or t.astimezone(UTC).replace(minute=0, second=0, microsecond=0) == t for t in (since, until))
    return whole and not search


def hour_aligned(zone_name: str, now: datetime) -> bool:
    """True when the zone's UTC offset is a whole number of hours now and half a year away (both DST sides)."""
    tz = ZoneInfo(zone_name)
    return all(
        (now + timedelta(days=days)).astimezone(tz).utcoffset() % timedelta(hours=1) == timedelta(0)
        for days in (0, 182)
    )


def local_days(rows, zone_name: str) -> list[dict]:
    """(UTC bucket start, status, count) rows summed per local day of the zone, oldest day first."""
    tz = ZoneInfo(zone_name)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for bucket, status, count in rows:
        start = datetime.fromisoformat(bucket) if isinstance(bucket, str) else bucket  # SQLite's quarter-hour text
        day = start.replace(tzinfo=UTC).astimezone(tz).date().isoformat()
        totals[(day, status)] += int(count)
    return [{"day": d, "status": s, "count": n} for (d, s), n in sorted(totals.items()) if n]


def _no_search(filters: dict) -> dict:
    """The filters the summary understands."""
    return {k: v for k, v in filters.items() if k != "search"}


def _quarter_hour(dialect: str, column):
    """The UTC quarter hour a time falls in (naive datetime on PostgreSQL, 'YYYY-MM-DD HH:MM' text on SQLite)."""
    if dialect == "postgresql":
        origin = text("timestamp '2000-01-01'")
        return func.date_bin(text("interval '15 minutes'"), column, origin, type_=DateTime()).label("quarter")
    minute = cast(func.substr(column, 15, 2), Integer) / 15 * 15
    return func.substr(column, 1, 14, type_=String()).concat(func.printf("%02d", minute)).label("quarter")


def _minute(dialect: str, column):
    """A UTC time cut to the minute, left unconverted by the driver layer (see `stream`)."""
    if dialect == "postgresql":
        return func.date_trunc("minute", column, type_=DateTime()).label(column.name)
    return func.substr(column, 1, 16, type_=String()).label(column.name)
