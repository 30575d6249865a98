"""Reply statistics for the Schedules details and the Delivery Log: per occurrence, and who has not replied."""

from __future__ import annotations

from services.domain import Actor, Message
from services.store import Store


class ReplyStatsService:
    """Reads of replies, scoped by the message the actor may see."""

    def __init__(self, store: Store):
        self.store = store

    def message(self, actor: Actor, message_id: str) -> Message:
        """The message the statistics are about (also a deleted one: its history stays)."""
        return self.store.messages.get(actor, message_id, include_deleted=True)

    def occurrences(self, actor: Actor, message_id: str, limit: int = 50) -> list[dict]:
        """Per occurrence, newest first: sent, replied, rate (0..1) and median seconds to reply (None: no reply)."""
        self.store.messages.get(actor, message_id, include_deleted=True)  # NotFound for someone else's message
        return self.store.replies.occurrences(message_id, limit)

    def not_replied(self, actor: Actor, message_id: str, slot: str) -> list[dict]:
        """The clients sent this occurrence who have not replied, by name."""
        self.store.messages.get(actor, message_id, include_deleted=True)
        return self.store.replies.not_replied(message_id, slot)
