"""Nudges: one per (message, occurrence, zone group), and their per-client sends, claimed like deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from services.db.schema import deliveries, delivery_runs, nudge_sends, nudges, replies
from services.domain import Actor
from services.store import audit
from services.store.base import Repository, new_id, scoped
from services.store.claims import free_to_claim
from services.store.upsert import insert_ignoring_conflicts


class NudgeRepository(Repository):
    """Writes nudges and their sends for the nudge route; reads them for the Schedules page."""

    def ensure(self, message_id: str, coach_id: str, slot: str, zone: str, due_at: datetime) -> dict:
        """The occurrence's nudge, created on first call (a retried fan-out finds the first one)."""
        now = self.clock()
        row = {
            "id": new_id(),
            "message_id": message_id,
            "coach_id": coach_id,
            "slot": slot,
            "zone": zone,
            "due_at": due_at,
            "status": "scheduled",
            "created_at": now,
            "updated_at": now,
        }
        key = and_(nudges.c.message_id == message_id, nudges.c.slot == slot, nudges.c.zone == zone)
        with self.engine.begin() as conn:
            insert_ignoring_conflicts(conn, nudges, [row], count_where=key)
            return dict(conn.execute(select(nudges).where(key)).mappings().one())

    def get(self, nudge_id: str) -> dict | None:
        """One nudge (unscoped: the route authorises by the coach id in the signed body)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(nudges).where(nudges.c.id == nudge_id)).mappings().first()
        return dict(row) if row else None

    def set_qstash_id(self, nudge_id: str, qstash_message_id: str) -> None:
        """Remember the QStash message that will deliver the nudge (for cancelling it)."""
        self._update(nudge_id, qstash_message_id=qstash_message_id)

    def finish(self, nudge_id: str, status: str, reason: str | None = None) -> bool:
        """Close a scheduled nudge as sent or skipped; a cancelled one stays cancelled."""
        return self._update(nudge_id, only_scheduled=True, status=status, reason=reason)

    def cancel(self, actor: Actor, nudge: dict) -> bool:
        """Cancel a nudge that has not gone yet, audited in the same transaction; False when it already had."""
        now = self.clock()
        query = (
            nudges.update()
            .where(nudges.c.id == nudge["id"], nudges.c.status == "scheduled")
            .values(status="cancelled", reason="cancelled by the coach", updated_at=now)
        )
        with self.engine.begin() as conn:
            if conn.execute(query).rowcount != 1:
                return False
            change = {"slot": nudge["slot"], "zone": nudge["zone"]}
            coach_id, message_id = nudge["coach_id"], nudge["message_id"]
            audit.record(conn, now, actor.account_id, coach_id, message_id, "cancel_nudge", None, change)
        return True

    def _update(self, nudge_id: str, only_scheduled: bool = False, **values) -> bool:
        """Change one nudge (optionally only while it is scheduled); True when it changed."""
        query = nudges.update().where(nudges.c.id == nudge_id).values(**values, updated_at=self.clock())
        if only_scheduled:
            query = query.where(nudges.c.status == "scheduled")
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount == 1

    def for_message(self, actor: Actor, message_id: str, limit: int = 50) -> list[dict]:
        """The message's nudges (newest occurrence first) with how many went, were held back or wait."""
        counts = {
            status: func.count(case((nudge_sends.c.status == status, 1)))
            for status in ("sent", "skipped", "failed", "pending")
        }
        query = (
            select(nudges, *(n.label(status) for status, n in counts.items()))
            .outerjoin(nudge_sends, nudge_sends.c.nudge_id == nudges.c.id)
            .where(nudges.c.message_id == message_id)
            .group_by(*nudges.c)
            .order_by(nudges.c.slot.desc(), nudges.c.zone)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(scoped(query, nudges.c.coach_id, actor)).mappings()]

    def add_recipients(self, nudge: dict) -> int:
        """Create a pending send for each client of the occurrence's zone group who got it and has not replied.

        Rows that exist are kept as they are, so a retried nudge never resets a sent or skipped one.
        """
        candidates = (
            select(deliveries.c.id, deliveries.c.client_id)
            .join(delivery_runs, delivery_runs.c.id == deliveries.c.run_id)
            .outerjoin(replies, replies.c.delivery_id == deliveries.c.id)
            .where(
                deliveries.c.message_id == nudge["message_id"],
                deliveries.c.slot == nudge["slot"],
                deliveries.c.status == "sent",
                delivery_runs.c.zone == nudge["zone"],
                replies.c.id.is_(None),
            )
        )
        now = self.clock()
        with self.engine.begin() as conn:
            rows = [
                {
                    "id": new_id(),
                    "nudge_id": nudge["id"],
                    "delivery_id": delivery_id,
                    "client_id": client_id,
                    "status": "pending",
                    "attempts": 0,
                    "updated_at": now,
                }
                for delivery_id, client_id in conn.execute(candidates)
            ]
            return insert_ignoring_conflicts(conn, nudge_sends, rows, count_where=nudge_sends.c.nudge_id == nudge["id"])

    def claim(self, nudge_id: str, owner: str, retried: int, lease: timedelta) -> list[tuple[str, str, str]]:
        """Take every pending send nobody else holds (QStash's retry takes over its own); (send, delivery, client)."""
        now = self.clock()
        free = free_to_claim(nudge_sends, now, owner, retried)
        query = (
            nudge_sends.update()
            .where(nudge_sends.c.nudge_id == nudge_id, nudge_sends.c.status == "pending", free)
            .values(
                claimed_by=owner,
                claimed_retried=retried,
                lease_until=now + lease,
                attempts=nudge_sends.c.attempts + 1,
                updated_at=now,
            )
            .returning(nudge_sends.c.id, nudge_sends.c.delivery_id, nudge_sends.c.client_id)
        )
        with self.engine.begin() as conn:
            return sorted((r.id, r.delivery_id, r.client_id) for r in conn.execute(query))

    def sent(self, send_id: str, chat_message_id: str) -> None:
        """Record a nudge that reached its client."""
        self._set(send_id, status="sent", chat_message_id=chat_message_id, sent_at=self.clock(), last_error=None)

    def failed(self, send_id: str, error: str, permanent: bool) -> None:
        """Record a failure: permanent ones are final, transient ones wait for QStash's retry."""
        self._set(send_id, status="failed" if permanent else "pending", last_error=error[:500])

    def held(self, send_id: str, reason: str) -> None:
        """Record a nudge not sent on purpose (the client replied, the nudge was cancelled, …)."""
        self._set(send_id, status="skipped", last_error=reason[:500])

    def _set(self, send_id: str, **values) -> None:
        """Update one send and release its lease."""
        with self.engine.begin() as conn:
            conn.execute(
                nudge_sends.update()
                .where(nudge_sends.c.id == send_id)
                .values(**values, lease_until=None, updated_at=self.clock())
            )

    def counts(self, nudge_id: str) -> dict[str, int]:
        """Status → count of the nudge's sends; live claims count as 'in_flight'."""
        held = and_(nudge_sends.c.status == "pending", nudge_sends.c.lease_until >= self.clock())
        query = (
            select(nudge_sends.c.status, held.label("held"), func.count())
            .where(nudge_sends.c.nudge_id == nudge_id)
            .group_by(nudge_sends.c.status, "held")
        )
        counts: dict[str, int] = {}
        with self.engine.connect() as conn:
            for status, is_held, n in conn.execute(query):
                key = "in_flight" if is_held else status
                counts[key] = counts.get(key, 0) + n
        return counts
