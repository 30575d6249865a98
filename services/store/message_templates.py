"""A coach's saved texts: save (by name, replacing), list, delete; each change audited in its transaction."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from services.db.schema import message_templates as saved
from services.domain import Actor
from services.errors import NotFound
from services.store import audit
from services.store.base import Repository, new_id


class TemplateRepository(Repository):
    """Reads and writes the acting coach's saved texts (never another coach's)."""

    def save(self, actor: Actor, name: str, body: str) -> dict:
        """Store a text under a name; the coach's text of the same name is replaced."""
        now = self.clock()
        with self.engine.begin() as conn:
            old = conn.execute(self._mine(actor).where(saved.c.name == name)).mappings().first()
            if old is None:
                template_id = new_id()
                conn.execute(
                    insert(saved).values(
                        id=template_id, coach_id=actor.account_id, name=name, body=body, created_at=now, updated_at=now
                    )
                )
            else:
                template_id = old["id"]
                conn.execute(saved.update().where(saved.c.id == template_id).values(body=body, updated_at=now))
            before = {"name": name, "body": old["body"]} if old else None
            audit.record(conn, now, actor.account_id, actor.account_id, None, "template_save", before, {"name": name})
        return self.get(actor, template_id)

    def get(self, actor: Actor, template_id: str) -> dict:
        """One of the coach's saved texts."""
        with self.engine.connect() as conn:
            row = conn.execute(self._mine(actor).where(saved.c.id == template_id)).mappings().first()
        if row is None:
            raise NotFound("No such saved text.")
        return dict(row)

    def list(self, actor: Actor) -> list[dict]:
        """The coach's saved texts by name."""
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(self._mine(actor).order_by(saved.c.name)).mappings()]

    def delete(self, actor: Actor, template_id: str) -> None:
        """Remove one of the coach's saved texts."""
        found = self.get(actor, template_id)
        with self.engine.begin() as conn:
            conn.execute(delete(saved).where(saved.c.id == template_id, saved.c.coach_id == actor.account_id))
            audit.record(
                conn, self.clock(), actor.account_id, actor.account_id, None, "template_delete", {"name": found["name"]}
            )

    def _mine(self, actor: Actor):
        """Saved texts are personal: scoped to the acting coach whatever the role."""
        return select(saved).where(saved.c.coach_id == actor.account_id)
