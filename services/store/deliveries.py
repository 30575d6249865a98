"""Delivery runs and per-recipient deliveries: the claim that keeps duplicates from reaching a client."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Connection, Select, and_, bindparam, case, func, insert, select

from services.db.schema import deliveries, delivery_runs
from services.db.schema import scheduled_messages as messages
from services.store import audit, batch_sql
from services.store.base import Repository, new_id
from services.store.claims import free_to_claim
from services.store.in_list import one_of, one_of_param
from services.store.send_rules import QUIET_OWNER
from services.store.upsert import insert_ignoring_conflicts

_REOPEN_BATCH = 10_000  # ids per statement: SQLite allows 32,766 parameters
_REOPENED = (deliveries.c.id, deliveries.c.message_id, deliveries.c.coach_id, deliveries.c.slot, deliveries.c.client_id)


@dataclasses.dataclass(frozen=True)
class RunStart:
    """What a webhook run is about: one firing (or chunk) of one message's occurrence, as QStash delivered it."""

    message_id: str
    coach_id: str
    qstash_message_id: str | None
    retried: int
    slot: str
    zone: str | None

    def claim(self, run_id: str, lease: timedelta) -> tuple[str, int, str, timedelta]:
        """The claim this run makes on its rows: (owner, retried, run id, lease); the owner is the QStash message
        id (its retries take over its rows), else the run id."""
        return (self.qstash_message_id or run_id, self.retried, run_id, lease)


class MessageProgress(NamedTuple):
    """A message's counters over all its occurrences."""

    sent: int
    failed: int
    occurrences: int


# Built once (the webhook runs them on every firing); each column a parameter of the same name.
_FINISH_RUN = (
    delivery_runs.update()
    .where(delivery_runs.c.id == bindparam("run_id"))
    .values(
        {name: bindparam(name) for name in ("finished_at", "outcome", "total", "sent", "failed", "skipped", "pending")}
    )
)
_PROGRESS = select(
    func.count(case((deliveries.c.status == "sent", 1))),
    func.count(case((deliveries.c.status == "failed", 1))),
    func.count(func.distinct(deliveries.c.slot)),
).where(deliveries.c.message_id == bindparam("message_id"))


@cache
def _slot_counts_query(dialect: str, of_clients: bool) -> Select:
    """slot_counts' statement, built once per dialect (a fan-out runs it per firing): parameters message_id,
    slot, now and, when of_clients, client_ids."""
    now = bindparam("now", type_=deliveries.c.lease_until.type)
    leased = and_(
        deliveries.c.status == "pending", deliveries.c.lease_until.is_not(None), deliveries.c.lease_until >= now
    )
    quiet = and_(leased, deliveries.c.claimed_by == QUIET_OWNER)
    query = (
        select(deliveries.c.status, leased.label("leased"), quiet.label("quiet"), func.count())
        .where(deliveries.c.message_id == bindparam("message_id"), deliveries.c.slot == bindparam("slot"))
        .group_by(deliveries.c.status, "leased", "quiet")
    )
    if of_clients:
        query = query.where(one_of_param(deliveries.c.client_id, "client_ids", dialect))
    return query


class DeliveryRepository(Repository):
    """Writes runs and deliveries for the webhook."""

    def slot_of_qstash_message(self, qstash_message_id: str) -> tuple[str, str | None] | None:
        """The (slot, zone) an earlier attempt of this QStash message worked on, so retries stay on it."""
        with self.read() as conn:
            row = conn.execute(
                select(delivery_runs.c.slot, delivery_runs.c.zone)
                .where(delivery_runs.c.qstash_message_id == qstash_message_id)
                .order_by(delivery_runs.c.started_at)
                .limit(1)
            ).first()
        return (row.slot, row.zone) if row else None

    def start_run(
        self, message_id: str, coach_id: str, qstash_message_id: str | None, retried: int, slot: str, zone: str | None
    ) -> str:
        """Open a run row for this webhook call."""
        run = RunStart(message_id, coach_id, qstash_message_id, retried, slot, zone)
        with self.engine.begin() as conn:
            return self._insert_run(conn, run)

    def start_claimed_run(
        self, run: RunStart, client_ids: list[str], skipped: dict[str, str], lease: timedelta
    ) -> tuple[str, list[tuple[str, str]]]:
        """Open the run, record the skipped rows and create-and-claim these clients' rows, in one transaction;
        (run id, claimed (delivery id, client id))."""
        with self.engine.begin() as conn:
            run_id = self._insert_run(conn, run)
            self._ensure(conn, run.message_id, run.coach_id, run.slot, [], skipped)
            claim = run.claim(run_id, lease)
            return run_id, self._claim(conn, run.message_id, run.coach_id, run.slot, client_ids, claim)

    def _insert_run(self, conn: Connection, run: RunStart) -> str:
        """Insert a run row; its id."""
        run_id = new_id()
        conn.execute(insert(delivery_runs), {"id": run_id, "started_at": self.clock(), **dataclasses.asdict(run)})
        return run_id

    def ensure_rows(
        self, message_id: str, coach_id: str, slot: str, pending: list[str], skipped: dict[str, str]
    ) -> int:
        """Create the (message, slot, client) rows that do not exist yet; existing rows are left alone."""
        with self.engine.begin() as conn:
            return self._ensure(conn, message_id, coach_id, slot, pending, skipped)

    def _ensure(
        self, conn: Connection, message_id: str, coach_id: str, slot: str, pending: list[str], skipped: dict[str, str]
    ) -> int:
        """ensure_rows inside the caller's transaction."""
        if not (pending or skipped):
            return 0
        now = self.clock()
        base = {
            "message_id": message_id,
            "coach_id": coach_id,
            "slot": slot,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        rows = [dict(base, id=new_id(), client_id=c, status="pending", last_error=None) for c in pending]
        rows += [dict(base, id=new_id(), client_id=c, status="skipped", last_error=why) for c, why in skipped.items()]
        return insert_ignoring_conflicts(
            conn,
            deliveries,
            rows,
            count_where=((deliveries.c.message_id == message_id) & (deliveries.c.slot == slot)),
        )

    def claim(
        self, message_id: str, slot: str, owner: str, retried: int, run_id: str, lease: timedelta
    ) -> list[tuple[str, str]]:
        """Atomically take every pending row of the slot that nobody else holds; returns (delivery id, client id)."""
        now = self.clock()
        free = free_to_claim(deliveries, now, owner, retried)
        query = (
            deliveries.update()
            .where(
                deliveries.c.message_id == message_id, deliveries.c.slot == slot, deliveries.c.status == "pending", free
            )
            .values(
                claimed_by=owner,
                claimed_retried=retried,
                lease_until=now + lease,
                run_id=run_id,
                attempts=deliveries.c.attempts + 1,
                updated_at=now,
            )
            .returning(deliveries.c.id, deliveries.c.client_id)
        )
        with self.engine.begin() as conn:
            return [(row.id, row.client_id) for row in conn.execute(query)]

    def claim_batch(
        self,
        message_id: str,
        coach_id: str,
        slot: str,
        client_ids: list[str],
        claim: tuple[str, int, str, timedelta],
    ) -> list[tuple[str, str]]:
        """Create-and-claim these clients' rows in one statement; claim = (owner, retried, run id, lease).

        Same result as `ensure_rows` + `claim` limited to these clients: new rows and free pending rows are taken,
        rows held by someone else or already finished are not. Sorted so concurrent callers lock rows in one order.
        """
        with self.engine.begin() as conn:
            return self._claim(conn, message_id, coach_id, slot, client_ids, claim)

    def _claim(
        self,
        conn: Connection,
        message_id: str,
        coach_id: str,
        slot: str,
        client_ids: list[str],
        claim: tuple[str, int, str, timedelta],
    ) -> list[tuple[str, str]]:
        """claim_batch inside the caller's transaction."""
        owner, retried, run_id, lease = claim
        if not client_ids:
            return []
        now = self.clock()
        ordered = sorted(client_ids)
        params = {"message_id": message_id, "coach_id": coach_id, "slot": slot, "owner": owner, "retried": retried}
        params |= {"run_id": run_id, "lease_until": now + lease, "now": now}
        dialect = conn.dialect.name
        batch = batch_sql.claim_params(dialect, [new_id() for _ in ordered], ordered)
        result = conn.execute(batch_sql.claim_statement(dialect), params | batch)
        return [(row.id, row.client_id) for row in result]

    def record_outcomes(self, sent: list[tuple[str, str]], failed: list[tuple[str, str, bool]]) -> None:
        """Record a batch in one transaction: (delivery id, chat message id) sent; (id, error, permanent) failed."""
        now = self.clock()
        # One statement when all were sent (a fan-out's usual batch); failures are one more, in one transaction.
        with self.single_statement() if not failed else self.engine.begin() as conn:
            if sent:
                dialect = conn.dialect.name
                conn.execute(batch_sql.sent_statement(dialect), batch_sql.sent_params(dialect, sent) | {"now": now})
            if failed:
                conn.execute(
                    batch_sql.failed_statement(),
                    [
                        {"b_id": d, "b_status": "failed" if final else "pending", "b_error": error[:500], "b_now": now}
                        for d, error, final in failed
                    ],
                )

    def mark_sent(self, delivery_id: str, chat_message_id: str) -> None:
        """Record a delivered message and release the claim."""
        now = self.clock()
        self._set(delivery_id, status="sent", chat_message_id=chat_message_id, sent_at=now, last_error=None)

    def mark_failed(self, delivery_id: str, error: str, permanent: bool) -> None:
        """Record a failure: permanent ones are final, transient ones stay pending for QStash's retry."""
        self._set(delivery_id, status="failed" if permanent else "pending", last_error=error[:500])

    def _set(self, delivery_id: str, **values) -> None:
        """Update one delivery and release its lease."""
        with self.engine.begin() as conn:
            conn.execute(
                deliveries.update()
                .where(deliveries.c.id == delivery_id)
                .values(**values, lease_until=None, updated_at=self.clock())
            )

    def release_unsent(self, run_id: str) -> int:
        """Give back the rows a run claimed and never tried: pending, lease cleared, the claim's attempt undone."""
        with self.engine.begin() as conn:
            result = conn.execute(
                deliveries.update()
                .where(
                    deliveries.c.run_id == run_id,
                    deliveries.c.status == "pending",
                    deliveries.c.lease_until.is_not(None),  # a tried row's outcome has already released it
                )
                .values(lease_until=None, attempts=deliveries.c.attempts - 1, updated_at=self.clock())
            )
            return result.rowcount

    def slot_counts(self, message_id: str, slot: str, client_ids: list[str] | None = None) -> dict[str, int]:
        """Status → count for one occurrence (optionally of some clients); live claims count as 'in_flight', rows
        held for quiet hours as 'held'."""
        params = {"message_id": message_id, "slot": slot, "now": self.clock()}
        if client_ids is not None:
            params["client_ids"] = list(client_ids)
        with self.read() as conn:
            rows = conn.execute(_slot_counts_query(conn.dialect.name, client_ids is not None), params)
            counts: dict[str, int] = {}
            for status, is_leased, is_quiet, n in rows:
                key = "held" if is_quiet else "in_flight" if is_leased else status
                counts[key] = counts.get(key, 0) + n
        return counts

    def finish_run(
        self, run_id: str, outcome: str, counts: dict[str, int], message: tuple[str, dict] | None = None
    ) -> None:
        """Close the run with its outcome and per-status totals; with `message` = (id, changes), the message's
        counters and status are updated in the same transaction."""
        with self.engine.begin() as conn:
            conn.execute(
                _FINISH_RUN,
                {
                    "run_id": run_id,
                    "finished_at": self.clock(),
                    "outcome": outcome,
                    "total": sum(counts.values()),
                    "sent": counts.get("sent", 0),
                    "failed": counts.get("failed", 0),
                    "skipped": counts.get("skipped", 0),
                    "pending": counts.get("pending", 0) + counts.get("in_flight", 0) + counts.get("held", 0),
                },
            )
            if message is not None:
                conn.execute(messages.update().where(messages.c.id == message[0]).values(**message[1]))

    def zones_fired(self, message_id: str) -> set[str]:
        """Zone groups that have had a webhook run (a one-time message is done when all of them have)."""
        with self.read() as conn:
            return set(
                conn.scalars(select(delivery_runs.c.zone).distinct().where(delivery_runs.c.message_id == message_id))
            )

    def message_progress(self, message_id: str) -> MessageProgress:
        """Sent and failed over all occurrences, and how many occurrences have rows: a message's counters, in one
        statement."""
        with self.read() as conn:
            return MessageProgress(*conn.execute(_PROGRESS, {"message_id": message_id}).one())

    def occurrences_started(self, message_id: str) -> int:
        """How many distinct occurrence slots have delivery rows (for max occurrences)."""
        with self.read() as conn:
            return conn.scalar(
                select(func.count(func.distinct(deliveries.c.slot))).where(deliveries.c.message_id == message_id)
            )

    def slot_started(self, message_id: str, slot: str) -> bool:
        """True when this occurrence already has rows (a retry, not a new occurrence)."""
        with self.read() as conn:
            return bool(
                conn.scalar(
                    select(func.count()).where(deliveries.c.message_id == message_id, deliveries.c.slot == slot)
                )
            )

    def reopen(self, delivery_ids: list[str], now: datetime | None = None, actor_id: str | None = None) -> list:
        """Put failed rows back to pending so a retry sends them (support's 'retry failed'); returns the rows this
        call reopened as (id, message_id, coach_id, slot, client_id), audited per message when an actor asks.

        Only rows still failed change, so of two retries racing for the same rows each row goes to one of them.
        """
        now = now or self.clock()
        reopened = []
        with self.engine.begin() as conn:
            for start in range(0, len(delivery_ids), _REOPEN_BATCH):
                chunk = delivery_ids[start : start + _REOPEN_BATCH]
                reopened += conn.execute(
                    deliveries.update()
                    .where(one_of(deliveries.c.id, chunk, conn.dialect.name), deliveries.c.status == "failed")
                    .values(status="pending", lease_until=None, claimed_by=None, updated_at=now)
                    .returning(*_REOPENED)
                ).all()
            if actor_id:  # the retry and its audit entries share this transaction
                counts = Counter((row.message_id, row.coach_id) for row in reopened)
                for (message_id, coach_id), count in sorted(counts.items()):
                    audit.record(conn, now, actor_id, coach_id, message_id, "retry", None, {"retried": count})
        return reopened
