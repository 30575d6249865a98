"""The local inbox: where the embedded chat gateway delivers."""

from __future__ import annotations

import json

from sqlalchemy import Text, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from services.db.schema import clients, inbox_messages
from services.db.types import UTCDateTime
from services.domain import Actor
from services.store.base import Repository, page_of, scoped
from services.store.upsert import insert_ignoring_conflicts


class InboxRepository(Repository):
    """Writes and reads local inbox messages."""

    def deliver(
        self,
        message_id: str,
        channel_id: str,
        coach_chat_id: str,
        client_chat_id: str,
        text: str,
        from_client: bool = False,
    ) -> bool:
        """Store a chat message (the coach's, or with from_client the client's); False when its id was already
        delivered (idempotent like Stream)."""
        row = {
            "from_client": from_client,
            "id": message_id,
            "channel_id": channel_id,
            "coach_chat_id": coach_chat_id,
            "client_chat_id": client_chat_id,
            "text": text,
            "created_at": self.clock(),
        }
        with self.engine.begin() as conn:
            return insert_ignoring_conflicts(conn, inbox_messages, [row]) == 1

    def deliver_many(self, rows: list[tuple[str, str, str, str, str]]) -> set[str]:
        """Store many (id, channel, coach chat id, client chat id, text) at once; returns the ids that were new."""
        if not rows:
            return set()
        now = self.clock()
        with self.single_statement() as conn:
            if conn.dialect.name == "postgresql":
                names = ("ids", "channels", "coaches", "clients", "texts")
                params = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
                return set(conn.scalars(_PG_INSERT_NEW, params | {"now": now}))
            return set(conn.scalars(_SQLITE_INSERT_NEW, {"rows": json.dumps(rows), "now": now}))

    def list(self, actor: Actor, client_id: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
        """Newest inbox messages the actor may see, with the client's name."""
        query = self._visible(
            select(inbox_messages, clients.c.name.label("client"), clients.c.id.label("client_id")), actor, client_id
        )
        order = (inbox_messages.c.created_at.desc(), inbox_messages.c.id)
        with self.read() as conn:
            rows = conn.execute(page_of(query.order_by(*order), limit, offset))
            return [dict(r) for r in rows.mappings()]

    def latest_id(self) -> str | None:
        """Any one inbox message id (a cheap read for the chat health check)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(inbox_messages.c.id).limit(1))

    def count(self, actor: Actor, client_id: str | None = None) -> int:
        """How many inbox messages the actor may see (for paging)."""
        with self.read() as conn:
            return conn.scalar(self._visible(select(func.count()).select_from(inbox_messages), actor, client_id))

    def own(self, chat_user_id: str, limit: int = 5) -> list[dict]:
        """The newest messages in one account's own channel (the coach on both sides: "Send a test to me")."""
        query = select(inbox_messages).where(
            inbox_messages.c.coach_chat_id == chat_user_id, inbox_messages.c.client_chat_id == chat_user_id
        )
        with self.engine.connect() as conn:
            rows = conn.execute(page_of(query.order_by(inbox_messages.c.created_at.desc()), limit, 0))
            return [dict(r) for r in rows.mappings()]

    @staticmethod
    def _visible(query, actor: Actor, client_id: str | None):
        """Messages of the actor's clients (joined by chat user id), optionally one client's."""
        query = scoped(
            query.join(clients, clients.c.chat_user_id == inbox_messages.c.client_chat_id), clients.c.coach_id, actor
        )
        return query.where(clients.c.id == client_id) if client_id else query


# SQLite: the batch as one JSON array ("WHERE true" keeps ON CONFLICT from being read as part of the SELECT).
_SQLITE_INSERT_NEW = text(
    """
    INSERT INTO inbox_messages (id, channel_id, coach_chat_id, client_chat_id, text, created_at)
    SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, :now
    FROM json_each(:rows) AS j WHERE true
    ON CONFLICT DO NOTHING
    RETURNING id
    """
).bindparams(bindparam("now", type_=UTCDateTime))

# PostgreSQL: the batch as arrays, so one short statement (parsed once by psycopg) carries any number of rows.
_PG_INSERT_NEW = text(
    """
    INSERT INTO inbox_messages (id, channel_id, coach_chat_id, client_chat_id, text, created_at)
    SELECT b.id, b.channel_id, b.coach_chat_id, b.client_chat_id, b.text, :now
    FROM unnest(:ids, :channels, :coaches, :clients, :texts) AS b(id, channel_id, coach_chat_id, client_chat_id, text)
    ON CONFLICT DO NOTHING
    RETURNING id
    """
).bindparams(
    *(bindparam(name, type_=ARRAY(Text)) for name in ("ids", "channels", "coaches", "clients", "texts")),
    bindparam("now", type_=UTCDateTime),
)
