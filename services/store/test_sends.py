"""Test sends: the coach's "Send a test to me", each recorded and audited; a gate lets one through per cooldown."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.db.schema import clients, test_send_gates, test_sends
from services.domain import Actor
from services.store import audit
from services.store.base import Repository, new_id, page_of, scoped


class TestSendRepository(Repository):
    """Writes and reads a coach's test sends (never deliveries: they count nowhere)."""

    __test__ = False  # a product class, not a pytest test class

    def pass_gate(self, coach_id: str, cooldown: timedelta) -> datetime | None:
        """Let one test through per cooldown: None when this one may go, else when the last one went.

        The conditional UPDATE is atomic, so of many concurrent clicks exactly one passes.
        """
        now = self.clock()
        opened = (
            update(test_send_gates)
            .where(test_send_gates.c.coach_id == coach_id, test_send_gates.c.last_at <= now - cooldown)
            .values(last_at=now)
        )
        try:
            with self.engine.begin() as conn:
                if conn.execute(opened).rowcount == 1:
                    return None
                last = conn.scalar(select(test_send_gates.c.last_at).where(test_send_gates.c.coach_id == coach_id))
                if last is not None:
                    return last
                conn.execute(insert(test_send_gates).values(coach_id=coach_id, last_at=now))  # the coach's first
                return None
        except IntegrityError:  # a concurrent first test inserted the gate row first
            with self.engine.connect() as conn:
                return conn.scalar(select(test_send_gates.c.last_at).where(test_send_gates.c.coach_id == coach_id))

    def start(self, actor: Actor, client_id: str | None, title: str, text: str) -> str:
        """Record a test about to be sent, with its audit event, in one transaction; returns its id."""
        now, test_id = self.clock(), new_id()
        row = dict(id=test_id, coach_id=actor.account_id, client_id=client_id, title=title, text=text)
        with self.engine.begin() as conn:
            conn.execute(insert(test_sends).values(**row, status="sending", created_at=now))
            audit.record(
                conn, now, actor.account_id, actor.account_id, None, "test_send", None,
                {"title": title, "client_id": client_id, "test_send_id": test_id},
            )  # fmt: skip
        return test_id

    def finish(self, test_id: str, chat_message_id: str | None, error: str | None) -> None:
        """Record what the chat provider answered."""
        values = {"status": "failed", "error": error[:500]} if error else {"status": "sent"}
        with self.engine.begin() as conn:
            conn.execute(
                update(test_sends).where(test_sends.c.id == test_id).values(**values, chat_message_id=chat_message_id)
            )

    def recent(self, actor: Actor, limit: int = 10) -> list[dict]:
        """The actor's latest tests, newest first, with the sample client's name."""
        query = scoped(
            select(test_sends, clients.c.name.label("client")).outerjoin(
                clients, clients.c.id == test_sends.c.client_id
            ),
            test_sends.c.coach_id,
            actor,
        ).order_by(test_sends.c.created_at.desc(), test_sends.c.id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(page_of(query, limit, 0)).mappings()]
