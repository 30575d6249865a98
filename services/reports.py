"""The Reports page's service: the weekly review of failed deliveries and the monthly audit of schedules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from services import audit_text, recurrence
from services.delivery_log import DeliveryLogService
from services.domain import Actor
from services.errors import Forbidden, UserError
from services.schedule_summary import audience_text, next_run, rule_text
from services.store import Store
from services.store.base import Clock
from services.store.reports import GROUPINGS

WEEK = timedelta(days=7)
_IDS_AT_ONCE = 1000  # message ids per query of a month's figures


def week(start: date, zone: str) -> tuple[datetime, datetime]:
    """Seven days from the start day's midnight in the zone, as aware instants."""
    return _midnight(start, zone), _midnight(start + WEEK, zone)


def month(year: int, number: int, zone: str) -> tuple[datetime, datetime]:
    """The calendar month from its first midnight in the zone to the next month's."""
    following = date(year + number // 12, number % 12 + 1, 1)
    return _midnight(date(year, number, 1), zone), _midnight(following, zone)


def _midnight(day: date, zone: str) -> datetime:
    """The day's first instant in the zone (a zone that skips midnight starts the day at 01:00)."""
    return datetime.combine(day, time(0), recurrence.zone(zone))


class ReportService:
    """Reads for support's weekly and monthly checks, and retry of a whole group of failures."""

    def __init__(self, store: Store, delivery_log: DeliveryLogService, clock: Clock):
        self.store = store
        self.delivery_log = delivery_log
        self.clock = clock

    def failure_review(self, actor: Actor, since: datetime, until: datetime) -> dict[str, list[dict]]:
        """Failures in the window grouped by reason, by coach and by client (largest group first)."""
        _support_only(actor)
        return {by: self.store.reports.failure_groups(actor, since, until, by) for by in GROUPINGS}

    def group_ids(self, actor: Actor, since: datetime, until: datetime, by: str, key: str) -> list[str]:
        """The failed deliveries making up one group now (what a confirmation counts and a retry retries)."""
        _support_only(actor)
        if by not in GROUPINGS:
            raise UserError(f"Unknown grouping {by!r}.")
        return self.store.reports.group_ids(actor, since, until, by, key)

    def retry_group(self, actor: Actor, delivery_ids: list[str]) -> int:
        """Retry exactly the confirmed deliveries through the Delivery Log's retry (failed rows only, audited)."""
        _support_only(actor)
        return self.delivery_log.retry_failed(actor, delivery_ids)

    def failed_deliveries(self, actor: Actor, since: datetime, until: datetime) -> Iterator[dict]:
        """Every failed delivery of the window, for the CSV (one server-side cursor)."""
        _support_only(actor)
        return self.delivery_log.stream(actor, status="failed", since=since, until=until)

    def schedule_audit(
        self, actor: Actor, since: datetime, until: datetime, zone: str, limit: int | None = None, offset: int = 0
    ) -> tuple[list[dict], int]:
        """Schedules active now or touched in the window: owner, rule in words, last and next send, the window's
        sends and failures, and its changes in words (times in `zone`); one page, or all with limit=None."""
        _support_only(actor)
        rows, total = self.store.reports.audited_schedules(actor, since, until, limit, offset)
        now, outcomes, changes, names = self.clock(), {}, {}, {}
        for start in range(0, len(rows), _IDS_AT_ONCE):
            ids = [row["id"] for row in rows[start : start + _IDS_AT_ONCE]]
            outcomes |= self.store.reports.outcomes_in(ids, since, until)
            for event in self.store.reports.changes_in(ids, since, until):
                changes.setdefault(event["message_id"], []).append(event)
                names[event["actor_id"]] = event["actor_name"]
        counts = self.store.messages.recipient_counts([r["id"] for r in rows if r["target"] == "clients"])
        return [
            _audited(row | {"client_count": counts.get(row["id"], 0)}, now, outcomes, changes, names, zone)
            for row in rows
        ], total


def _audited(row: dict, now: datetime, outcomes: dict, changes: dict, names: dict, zone: str) -> dict:
    """One schedule as the audit shows it."""
    events = audit_text.readable(changes.get(row["id"], []), names, zone)
    return {
        "id": row["id"],
        "owner": row["owner"],
        "owner_email": row["owner_email"],
        "title": row["title"],
        "status": "deleted" if row["deleted_at"] else row["status"],
        "audience": audience_text(row),
        "rule": rule_text(row),
        "last_send": row["last_run_at"],
        "next_send": None if row["deleted_at"] else next_run(row, now),
        "sent": outcomes.get(row["id"], {}).get("sent", 0),
        "failed": outcomes.get(row["id"], {}).get("failed", 0),
        "changes": events,
    }


def _support_only(actor: Actor) -> None:
    """Reports read across coaches: support and admin only."""
    if not actor.sees_all_coaches:
        raise Forbidden("Reports are for support and admin.")
