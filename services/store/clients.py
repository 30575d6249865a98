"""Clients of a coach, their tags, and recipient resolution at fire time."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from sqlalchemy import Select, bindparam, delete, func, insert, select

from services.db.schema import client_tags, clients, message_recipients
from services.domain import Actor, Client, Message
from services.errors import NotFound
from services.store import audit
from services.store.base import Repository, matches_any, new_id, page_of, scoped
from services.store.in_list import one_of


class ClientRepository(Repository):
    """Reads and writes clients, always scoped to the coach."""

    def add(
        self,
        actor: Actor,
        name: str,
        timezone_name: str,
        tags: list[str] = (),
        active: bool = True,
        coach_id: str | None = None,
        client_id: str | None = None,
    ) -> Client:
        """Add a client and its audit event; a coach adds only their own, support/admin name the coach."""
        coach_id = coach_id if (coach_id and actor.sees_all_coaches) else actor.account_id
        client_id = client_id or new_id()
        with self.engine.begin() as conn:
            conn.execute(
                insert(clients).values(
                    id=client_id,
                    coach_id=coach_id,
                    name=name,
                    chat_user_id=f"client-{client_id}",
                    timezone=timezone_name,
                    active=active,
                    created_at=self.clock(),
                )
            )
            self._write_tags(conn, client_id, tags)
            self._audit(
                conn,
                actor,
                client_id,
                "client_add",
                None,
                {"name": name, "timezone": timezone_name, "tags": sorted(tags), "active": active},
            )
        return self.get_many(actor, [client_id])[0]

    def update(
        self, actor: Actor, client_id: str, name: str, timezone_name: str, tags, active: bool | None = None
    ) -> Client:
        """Replace a client's name, zone and tags (and active state when given), audited in one transaction.

        Scoped: another coach's client is 'No such client.'
        """
        query = scoped(clients.update().where(clients.c.id == client_id), clients.c.coach_id, actor)
        old = self.get(actor, client_id)
        with self.engine.begin() as conn:
            if conn.execute(query.values(name=name, timezone=timezone_name)).rowcount != 1:
                raise NotFound("No such client.", "client")
            self._write_tags(conn, client_id, tags)
            before = {"name": old.name, "timezone": old.timezone, "tags": list(old.tags)}
            after = {"name": name, "timezone": timezone_name, "tags": sorted(tags)}
            if after != before:  # saving the form unchanged (or only the active switch) is no edit
                self._audit(conn, actor, client_id, "client_edit", before, after)
            if active is not None and active != old.active:
                conn.execute(query.values(active=active))
                self._audit(conn, actor, client_id, "client_active", None, {"active": active})
        return self.get(actor, client_id)

    def _audit(self, conn, actor: Actor, client_id: str, action: str, old: dict | None, new: dict) -> None:
        """Record a client change in the audit trail (no message: message_id stays empty)."""
        coach_id = conn.scalar(select(clients.c.coach_id).where(clients.c.id == client_id))
        audit.record(conn, self.clock(), actor.account_id, coach_id, None, action, old, dict(new, client_id=client_id))

    def get(self, actor: Actor, client_id: str) -> Client:
        """One client the actor may see."""
        found = self.get_many(actor, [client_id])
        if not found:
            raise NotFound("No such client.", "client")
        return found[0]

    def page(
        self,
        actor: Actor,
        tag: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        coach_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Client], int]:
        """A page of clients (by name) and the total under the same filters, for tables."""
        query = self._filtered(actor, tag, search, active, coach_id)
        with self.read() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            ids = list(conn.scalars(page_of(query.order_by(clients.c.name, clients.c.id), limit, offset)))
        return self.get_many(actor, ids), total

    def _filtered(
        self,
        actor: Actor,
        tag: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        coach_id: str | None = None,
    ):
        """Ids of the actor's clients under the list filters (a query, not yet run)."""
        query = scoped(select(clients.c.id), clients.c.coach_id, actor)
        if tag:
            query = query.where(clients.c.id.in_(select(client_tags.c.client_id).where(client_tags.c.tag == tag)))
        if search:
            query = query.where(matches_any(search, clients.c.name))
        if active is not None:
            query = query.where(clients.c.active == active)
        if coach_id:
            query = query.where(clients.c.coach_id == coach_id)
        return query

    def _write_tags(self, conn, client_id: str, tags) -> None:
        """Replace a client's tags (already cleaned by the service)."""
        conn.execute(delete(client_tags).where(client_tags.c.client_id == client_id))
        if tags:
            conn.execute(insert(client_tags), [{"client_id": client_id, "tag": t} for t in tags])

    def list(
        self,
        actor: Actor,
        tag: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Client]:
        """A page of the actor's clients, filtered in SQL."""
        query = self._filtered(actor, tag, search, active).order_by(clients.c.name, clients.c.id)
        with self.read() as conn:
            ids = list(conn.scalars(page_of(query, limit, offset)))
        return self.get_many(actor, ids)

    def get_many(self, actor: Actor, ids: list[str]) -> list[Client]:
        """The actor's clients with these ids, in the order given; foreign ids are simply absent."""
        if not ids:
            return []
        with self.read() as conn:
            dialect = conn.dialect.name
            query = select(clients).where(one_of(clients.c.id, ids, dialect))
            rows = conn.execute(scoped(query, clients.c.coach_id, actor)).all()
            tags = defaultdict(list)
            for client_id, tag in conn.execute(
                select(client_tags).where(one_of(client_tags.c.client_id, ids, dialect))
            ):
                tags[client_id].append(tag)
        by_id = {row.id: _client(row, tags[row.id]) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def audience_names(self, actor: Actor, tag: str | None = None, client_ids: list[str] | None = None) -> list[str]:
        """Names of the actor's active clients in an audience (all, a tag, or chosen ids), for length checks."""
        query = self._filtered(actor, tag=tag, active=True).with_only_columns(clients.c.name)
        if client_ids is not None:
            query = query.where(clients.c.id.in_(client_ids))
        with self.read() as conn:
            return list(conn.scalars(query))

    def tags(self, actor: Actor) -> list[str]:
        """Distinct tags used by the actor's clients."""
        query = select(client_tags.c.tag).distinct().join(clients, clients.c.id == client_tags.c.client_id)
        with self.read() as conn:
            return sorted(conn.scalars(scoped(query, clients.c.coach_id, actor)))

    def count(self, actor: Actor) -> int:
        """How many clients the actor can see."""
        with self.read() as conn:
            return conn.scalar(scoped(select(func.count()).select_from(clients), clients.c.coach_id, actor))

    def recipients(self, message: Message) -> list[Client]:
        """Every client the message targets now, active or not (the caller skips inactive ones), by id."""
        rows_of, tags_of = _audience_queries(message.target)
        params = {"coach_id": message.coach_id, "tag": message.target_tag, "message_id": message.id}
        # Two statements whatever the audience's size: its rows, then its tags (a fan-out runs this per firing).
        with self.read() as conn:
            rows = conn.execute(rows_of, params).all()
            tags = defaultdict(list)
            for client_id, tag in conn.execute(tags_of, params):
                tags[client_id].append(tag)
        return [_client(row, tags[row.id]) for row in rows]

    def zones_of(self, message: Message) -> list[str]:
        """Distinct zones of the message's active recipients (one QStash schedule each)."""
        return sorted({c.timezone for c in self.recipients(message) if c.active}) or [message.timezone]


@cache
def _audience_queries(target: str) -> tuple[Select, Select]:
    """The rows and the tags of a message's audience ("all", "tag" or "clients"), built once per kind; parameters
    coach_id, tag and message_id."""
    audience = select(clients.c.id).where(clients.c.coach_id == bindparam("coach_id"))
    if target == "tag":
        audience = audience.where(
            clients.c.id.in_(select(client_tags.c.client_id).where(client_tags.c.tag == bindparam("tag")))
        )
    elif target == "clients":
        audience = audience.where(
            clients.c.id.in_(
                select(message_recipients.c.client_id).where(message_recipients.c.message_id == bindparam("message_id"))
            )
        )
    rows = select(clients).where(clients.c.id.in_(audience)).order_by(clients.c.id)
    return rows, select(client_tags).where(client_tags.c.client_id.in_(audience))


def _client(row, tags) -> Client:
    """Map a row and its tags to a Client."""
    return Client(
        id=row.id,
        coach_id=row.coach_id,
        name=row.name,
        chat_user_id=row.chat_user_id,
        timezone=row.timezone,
        active=row.active,
        tags=tuple(sorted(tags)),
        email=row.email,
    )
