"""Clients' replies: who wrote, which delivery a reply answers, and reply statistics per occurrence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text

from services.db.schema import accounts, clients, deliveries, replies
from services.store.base import Repository
from services.store.upsert import insert_ignoring_conflicts


@dataclass(frozen=True)
class Sender:
    """A client who wrote in a chat, with their coach's chat user id (the channel is theirs together)."""

    client_id: str
    coach_id: str
    client_chat_id: str
    coach_chat_id: str


@dataclass(frozen=True)
class Answered:
    """The delivery a reply answers."""

    delivery_id: str
    message_id: str
    slot: str
    sent_at: datetime


class ReplyRepository(Repository):
    """Records replies and reads their statistics."""

    def is_coach(self, chat_user_id: str) -> bool:
        """True when the chat user is a dashboard account (a coach or the bot), whose messages are not replies."""
        with self.engine.connect() as conn:
            return conn.scalar(select(accounts.c.id).where(accounts.c.chat_user_id == chat_user_id)) is not None

    def sender(self, chat_user_id: str) -> Sender | None:
        """The client behind a chat user id, with their coach's chat id; None for anyone else."""
        query = (
            select(clients.c.id, clients.c.coach_id, clients.c.chat_user_id, accounts.c.chat_user_id.label("coach"))
            .join(accounts, accounts.c.id == clients.c.coach_id)
            .where(clients.c.chat_user_id == chat_user_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Sender(row.id, row.coach_id, row.chat_user_id, row.coach) if row else None

    def latest_delivery(self, client_id: str, coach_id: str, at: datetime, window: timedelta) -> Answered | None:
        """The newest delivery sent to the client by this coach at or before `at` and within the window."""
        query = (
            select(deliveries.c.id, deliveries.c.message_id, deliveries.c.slot, deliveries.c.sent_at)
            .where(
                deliveries.c.client_id == client_id,
                deliveries.c.coach_id == coach_id,
                deliveries.c.status == "sent",
                deliveries.c.sent_at <= at,
                deliveries.c.sent_at >= at - window,
            )
            .order_by(deliveries.c.sent_at.desc(), deliveries.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Answered(row.id, row.message_id, row.slot, row.sent_at) if row else None

    def record(self, reply_id: str, answered: Answered, sender: Sender, replied_at: datetime) -> bool:
        """Record the first reply to a delivery; False when this message, or an earlier reply, is already there."""
        row = {
            "id": reply_id,
            "delivery_id": answered.delivery_id,
            "message_id": answered.message_id,
            "slot": answered.slot,
            "coach_id": sender.coach_id,
            "client_id": sender.client_id,
            "replied_at": replied_at,
            "seconds_to_reply": max(0, int((replied_at - answered.sent_at).total_seconds())),
            "received_at": self.clock(),
        }
        with self.engine.begin() as conn:
            return insert_ignoring_conflicts(conn, replies, [row]) == 1

    def replied(self, delivery_id: str) -> bool:
        """True once the delivery has a reply (checked right before each nudge goes out)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(replies.c.id).where(replies.c.delivery_id == delivery_id)) is not None

    def occurrences(self, message_id: str, limit: int = 50) -> list[dict]:
        """Per occurrence slot (newest first): sent, replied, reply rate and median seconds to reply."""
        with self.engine.connect() as conn:
            rows = conn.execute(_OCCURRENCES, {"message_id": message_id, "limit": limit}).mappings().all()
        return [
            dict(
                r,
                rate=(r["replied"] / r["sent"]) if r["sent"] else 0.0,
                median_seconds=None if r["median_seconds"] is None else float(r["median_seconds"]),
            )
            for r in rows
        ]

    def not_replied(self, message_id: str, slot: str, limit: int = 500) -> list[dict]:
        """Clients sent this occurrence who have not replied, by name."""
        query = (
            select(clients.c.id, clients.c.name, deliveries.c.sent_at)
            .select_from(deliveries.join(clients, clients.c.id == deliveries.c.client_id))
            .outerjoin(replies, replies.c.delivery_id == deliveries.c.id)
            .where(
                deliveries.c.message_id == message_id,
                deliveries.c.slot == slot,
                deliveries.c.status == "sent",
                replies.c.id.is_(None),
            )
            .order_by(clients.c.name, clients.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]


# One pass over the message's sent deliveries (index uq_deliveries_message_slot_client) joined to their replies
# (unique on delivery_id). The median comes from window functions both databases have: the middle one or two
# replies of each slot by seconds_to_reply, averaged.
_OCCURRENCES = text(
    """
    WITH answered AS (
        SELECT d.slot, r.seconds_to_reply AS seconds
        FROM deliveries d LEFT JOIN replies r ON r.delivery_id = d.id
        WHERE d.message_id = :message_id AND d.status = 'sent'
    ),
    ranked AS (
        SELECT slot, seconds,
               ROW_NUMBER() OVER (PARTITION BY slot ORDER BY seconds) AS n,
               COUNT(*) OVER (PARTITION BY slot) AS total
        FROM answered WHERE seconds IS NOT NULL
    ),
    medians AS (
        SELECT slot, AVG(seconds * 1.0) AS median_seconds
        FROM ranked WHERE n IN ((total + 1) / 2, (total + 2) / 2)
        GROUP BY slot
    ),
    counts AS (
        SELECT slot, COUNT(*) AS sent, COUNT(seconds) AS replied FROM answered GROUP BY slot
    )
    SELECT c.slot, c.sent, c.replied, m.median_seconds
    FROM counts c LEFT JOIN medians m ON m.slot = c.slot
    ORDER BY c.slot DESC
    LIMIT :limit
    """
)
