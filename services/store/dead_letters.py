"""QStash's failure callbacks, recorded once: the dead letter, its run marked, its pending deliveries failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from services.db.schema import dead_letters, deliveries, delivery_runs
from services.store.base import Repository
from services.store.in_list import one_of
from services.store.upsert import insert_ignoring_conflicts

DEAD_LETTER = "dead_letter"  # the run outcome of a QStash message that exhausted its retries


@dataclass(frozen=True)
class DeadLetter:
    """A QStash message that exhausted its retries, and which occurrence (and clients) it was for."""

    qstash_message_id: str
    dlq_id: str | None
    message_id: str | None
    slot: str | None
    reason: str
    client_ids: list[str] | None = None  # None: every recipient of the slot
    received_at: datetime | None = None


class DeadLetterRepository(Repository):
    """Writes a failure callback's outcome in one transaction, so a replayed callback changes nothing."""

    def record(self, letter: DeadLetter) -> bool:
        """Record the dead letter and mark its run and still-pending deliveries; False when already recorded."""
        now = self.clock()
        row = {
            "qstash_message_id": letter.qstash_message_id,
            "dlq_id": letter.dlq_id,
            "message_id": letter.message_id,
            "slot": letter.slot,
            "reason": letter.reason,
            "received_at": now,
        }
        with self.engine.begin() as conn:
            if insert_ignoring_conflicts(conn, dead_letters, [row]) != 1:
                return False  # a replayed or repeated callback: the first one did the work
            conn.execute(
                update(delivery_runs)
                .where(delivery_runs.c.qstash_message_id == letter.qstash_message_id)
                .values(outcome=DEAD_LETTER)
            )
            if letter.message_id and letter.slot:
                pending = update(deliveries).where(
                    deliveries.c.message_id == letter.message_id,
                    deliveries.c.slot == letter.slot,
                    deliveries.c.status == "pending",
                )
                if letter.client_ids is not None:
                    pending = pending.where(one_of(deliveries.c.client_id, letter.client_ids, conn.dialect.name))
                conn.execute(
                    pending.values(status="failed", last_error=letter.reason[:500], lease_until=None, updated_at=now)
                )
        return True

    def recent(self, limit: int = 50) -> list[DeadLetter]:
        """The latest dead letters, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(dead_letters).order_by(dead_letters.c.received_at.desc()).limit(limit)).all()
        return [
            DeadLetter(r.qstash_message_id, r.dlq_id, r.message_id, r.slot, r.reason, received_at=r.received_at)
            for r in rows
        ]
