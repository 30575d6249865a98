"""Many clients at once (the CSV import): one transaction, so either every row is written or none."""

from __future__ import annotations

from sqlalchemy import insert, select

from services.db.schema import client_tags, clients
from services.domain import Actor
from services.store import audit
from services.store.base import Repository, new_id


class ClientImportRepository(Repository):
    """Bulk writes for the import, and the look-up it needs to report clashes before writing."""

    def taken_chat_ids(self, chat_ids: list[str]) -> set[str]:
        """Which of these chat user ids some client already has (they are unique across the product)."""
        taken: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(chat_ids), 500):  # bounded IN lists
                chunk = chat_ids[start : start + 500]
                taken |= set(conn.scalars(select(clients.c.chat_user_id).where(clients.c.chat_user_id.in_(chunk))))
        return taken

    def add_many(self, actor: Actor, coach_id: str, rows: list[dict]) -> int:
        """Insert clients (name, email, timezone, tags, chat_user_id or None) for one coach, with one audit event."""
        now = self.clock()
        records, tag_rows = [], []
        for row in rows:
            client_id = new_id()
            records.append(
                {
                    "id": client_id,
                    "coach_id": coach_id,
                    "name": row["name"],
                    "email": row["email"],
                    "chat_user_id": row["chat_user_id"] or f"client-{client_id}",
                    "timezone": row["timezone"],
                    "active": True,
                    "created_at": now,
                }
            )
            tag_rows += [{"client_id": client_id, "tag": tag} for tag in row["tags"]]
        with self.engine.begin() as conn:
            conn.execute(insert(clients), records)
            if tag_rows:
                conn.execute(insert(client_tags), tag_rows)
            audit.record(conn, now, actor.account_id, coach_id, None, "client_import", None, {"count": len(records)})
        return len(records)
