"""Audit events: who did what to which schedule, with old and new values."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert, select

from services.db.schema import audit_events
from services.domain import Actor
from services.store.base import Repository, new_id, page_of, scoped


def _json(values: dict | None) -> str | None:
    """Serialise values, datetimes as ISO strings."""
    if values is None:
        return None
    return json.dumps(values, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v), sort_keys=True)


def record(
    conn,
    at: datetime,
    actor_id: str | None,
    coach_id: str | None,
    message_id: str | None,
    action: str,
    old: dict | None = None,
    new: dict | None = None,
) -> None:
    """Write one audit event inside the caller's transaction."""
    conn.execute(
        insert(audit_events).values(
            id=new_id(),
            at=at,
            actor_id=actor_id,
            coach_id=coach_id,
            message_id=message_id,
            action=action,
            old_values=_json(old),
            new_values=_json(new),
        )
    )


class AuditRepository(Repository):
    """Reads the audit trail, and records support's actions outside any one coach's data."""

    def audited(self, actor: Actor, action: str, values: dict, act: Callable[[], None]) -> None:
        """Run `act` (a call to another system) inside the transaction that records it: if it fails, no event."""
        with self.engine.begin() as conn:
            record(conn, self.clock(), actor.account_id, None, None, action, new=values)
            act()

    def list(self, actor: Actor, message_id: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
        """Newest first, scoped to the actor."""
        query = scoped(select(audit_events), audit_events.c.coach_id, actor).order_by(audit_events.c.at.desc())
        if message_id:
            query = query.where(audit_events.c.message_id == message_id)
        with self.engine.connect() as conn:
            rows = conn.execute(page_of(query, limit, offset)).mappings().all()
        return [
            dict(row) | {"old_values": load_values(row["old_values"]), "new_values": load_values(row["new_values"])}
            for row in rows
        ]


def load_values(text: str | None) -> dict | None:
    """Parse stored JSON values."""
    return json.loads(text) if text else None
