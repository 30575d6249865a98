"""The local inbox: where the embedded chat gateway delivers."""

from __future__ import annotations

from sqlalchemy import select

from services.db.schema import clients, inbox_messages
from services.domain import Actor
from services.store.base import Repository, page_of, scoped
from services.store.upsert import insert_ignoring_conflicts


class InboxRepository(Repository):
    """Writes and reads local inbox messages."""

    def deliver(self, message_id: str, channel_id: str, coach_chat_id: str, client_chat_id: str, text: str) -> bool:
        """Store a chat message; False when its id was already delivered (idempotent like Stream)."""
        row = {
            "id": message_id,
            "channel_id": channel_id,
            "coach_chat_id": coach_chat_id,
            "client_chat_id": client_chat_id,
            "text": text,
            "created_at": self.clock(),
        }
        with self.engine.begin() as conn:
            return insert_ignoring_conflicts(conn, inbox_messages, [row]) == 1

    def list(self, actor: Actor, client_id: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
        """Newest inbox messages the actor may see, with the client's name."""
        query = select(inbox_messages, clients.c.name.label("client"), clients.c.id.label("client_id")).join(
            clients, clients.c.chat_user_id == inbox_messages.c.client_chat_id
        )
        query = scoped(query, clients.c.coach_id, actor)
        if client_id:
            query = query.where(clients.c.id == client_id)
        with self.engine.connect() as conn:
            rows = conn.execute(page_of(query.order_by(inbox_messages.c.created_at.desc()), limit, offset))
            return [dict(r) for r in rows.mappings()]
