"""Scheduled messages: insert, read, list, change with version checks; every change is audited."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from services.db.schema import MESSAGE_STATUSES, message_follow_ups, message_recipients, qstash_links
from services.db.schema import scheduled_messages as messages
from services.domain import Actor, FollowUp, Message
from services.errors import Conflict, NotFound
from services.store import audit
from services.store.base import Repository, matches_any, new_id, page_of, scoped

AUDITED = (
    "title",
    "body",
    "target",
    "target_tag",
    "kind",
    "send_at",
    "cron",
    "timezone",
    "zone_mode",
    "end_at",
    "max_occurrences",
    "status",
    "client_ids",
    "deleted_at",
    "follow_up",
)
# What an update may change: never the id, the owner, the version (kept here) or the creation time.
_COLUMNS = {f.name for f in fields(Message)} - {
    "client_ids",
    "id",
    "coach_id",
    "version",
    "created_at",
    "idempotency_key",
    "follow_up",  # its own table, written beside the row (_write_follow_up)
}

_FOLLOW_UP_DELAY, _FOLLOW_UP = "follow_up__delay_seconds", "follow_up__body"  # labels of the joined row
# A message with its follow-up (at most one per message, joined into its row), and its chosen clients: built once,
# as the webhook reads them on every firing.
_WITH_FOLLOW_UP = (
    select(
        messages,
        message_follow_ups.c.delay_seconds.label(_FOLLOW_UP_DELAY),
        message_follow_ups.c.body.label(_FOLLOW_UP),
    )
    .outerjoin(message_follow_ups, message_follow_ups.c.message_id == messages.c.id)
    .where(messages.c.id == bindparam("message_id"))
)
_RECIPIENT_IDS = (
    select(message_recipients.c.client_id)
    .where(message_recipients.c.message_id == bindparam("message_id"))
    .order_by(message_recipients.c.client_id)
)


class MessageRepository(Repository):
    """Reads and writes scheduled messages for the acting coach."""

    def insert(self, actor: Actor, values: dict, client_ids: list[str] = ()) -> Message:
        """Insert a new message of the acting coach with its chosen recipients and an audit event, in one transaction.

        The owner is always the actor: values cannot name another coach.
        """
        now = self.clock()
        message_id = values.get("id") or new_id()
        follow_up = values.get("follow_up")
        row = dict(
            {k: v for k, v in values.items() if k != "follow_up"},
            id=message_id,
            coach_id=actor.account_id,
            version=1,
            created_at=now,
            updated_at=now,
            occurrences=0,
            sent_count=0,
            failed_count=0,
        )
        with self.engine.begin() as conn:
            conn.execute(insert(messages).values(**row))
            _write_follow_up(conn, message_id, follow_up)
            if client_ids:
                conn.execute(
                    insert(message_recipients), [{"message_id": message_id, "client_id": c} for c in client_ids]
                )
            audit.record(
                conn,
                now,
                actor.account_id,
                row["coach_id"],
                message_id,
                "create",
                None,
                _audited(dict(row, follow_up=follow_up), client_ids),
            )
        return self.get(actor, message_id)

    def insert_once(self, actor: Actor, values: dict, client_ids: list[str], key: str) -> tuple[Message, bool]:
        """Insert unless the coach already has a message from this form submission; (message, created)."""
        existing = self._by_key(actor, key)
        if existing is not None:
            return existing, False
        try:
            return self.insert(actor, dict(values, idempotency_key=key), client_ids), True
        except IntegrityError:
            existing = self._by_key(actor, key)  # a concurrent submission of the same form won the race
            if existing is None:
                raise
            return existing, False

    def _by_key(self, actor: Actor, key: str) -> Message | None:
        """The acting coach's message created by this form submission, if any."""
        query = select(messages.c.id).where(messages.c.coach_id == actor.account_id, messages.c.idempotency_key == key)
        with self.read() as conn:
            message_id = conn.scalar(query)
        return self.get(actor, message_id) if message_id else None

    def get(self, actor: Actor, message_id: str, include_deleted: bool = False) -> Message:
        """One message the actor may see (a deleted one only when asked for)."""
        query = scoped(_WITH_FOLLOW_UP, messages.c.coach_id, actor)
        if not include_deleted:
            query = query.where(messages.c.deleted_at.is_(None))
        with self.read() as conn:
            row = conn.execute(query, {"message_id": message_id}).mappings().first()
            if row is None:
                raise NotFound("No such message.")
            ids = conn.scalars(_RECIPIENT_IDS, {"message_id": message_id})
            columns = dict(row)
            delay, body = columns.pop(_FOLLOW_UP_DELAY), columns.pop(_FOLLOW_UP)
            follow_up = FollowUp(delay, body) if delay is not None else None
            return Message(**columns, client_ids=tuple(ids), follow_up=follow_up)

    def get_unscoped(self, message_id: str) -> Message | None:
        """For the webhook, which authorises by the coach id in the signed body (a deleted message is still
        cancelled or completed, and answered as such)."""
        try:
            return self.get(Actor("system", "admin"), message_id, include_deleted=True)
        except NotFound:
            return None

    def list(
        self,
        actor: Actor,
        status: str | None = None,
        kind: str | None = None,
        search: str | None = None,
        coach_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict], int]:
        """A page of messages (newest first) and the total count, filtered in SQL."""
        query = scoped(select(messages).where(messages.c.deleted_at.is_(None)), messages.c.coach_id, actor)
        if status:
            query = query.where(messages.c.status == status)
        if kind:
            query = query.where(messages.c.kind == kind)
        if coach_id:
            query = query.where(messages.c.coach_id == coach_id)
        if search:
            query = query.where(matches_any(search, messages.c.title, messages.c.body))
        with self.read() as conn:
            total = conn.scalar(select(func.count()).select_from(query.subquery()))
            rows = conn.execute(page_of(query.order_by(messages.c.created_at.desc(), messages.c.id), limit, offset))
            return [dict(r) for r in rows.mappings()], total

    def recipient_counts(self, message_ids: list[str]) -> dict[str, int]:
        """How many clients each "chosen clients" message names (messages with none are left out)."""
        if not message_ids:
            return {}
        query = (
            select(message_recipients.c.message_id, func.count())
            .where(message_recipients.c.message_id.in_(message_ids))
            .group_by(message_recipients.c.message_id)
        )
        with self.read() as conn:
            return {message_id: count for message_id, count in conn.execute(query)}

    def update(
        self,
        actor: Actor,
        message_id: str,
        changes: dict,
        expected_version: int | None = None,
        action: str = "edit",
        client_ids: list[str] | None = None,
    ) -> Message:
        """Apply changes if the version still matches; bump the version and audit old and new values."""
        current = self.get(actor, message_id, include_deleted=True)
        if expected_version is not None and current.version != expected_version:
            raise Conflict("This message was changed by someone else. Reload and try again.")
        now = self.clock()
        columns = {k: v for k, v in changes.items() if k in _COLUMNS}
        query = (
            messages.update()
            .where(messages.c.id == message_id, messages.c.version == current.version)
            .values(**columns, version=current.version + 1, updated_at=now)
        )
        with self.engine.begin() as conn:
            if conn.execute(query).rowcount != 1:
                raise Conflict("This message was changed by someone else. Reload and try again.")
            if "follow_up" in changes:
                _write_follow_up(conn, message_id, changes["follow_up"])
                columns["follow_up"] = changes["follow_up"]  # for the audit below
            if client_ids is not None:
                conn.execute(delete(message_recipients).where(message_recipients.c.message_id == message_id))
                if client_ids:
                    conn.execute(
                        insert(message_recipients), [{"message_id": message_id, "client_id": c} for c in client_ids]
                    )
            new = dict(columns, **({"client_ids": client_ids} if client_ids is not None else {}))
            old = {k: getattr(current, k) for k in new}
            audit.record(
                conn, now, actor.account_id, current.coach_id, message_id, action, _audited(old), _audited(new)
            )
        return self.get(actor, message_id, include_deleted=True)

    def system_update(self, message_id: str, **changes) -> None:
        """Counters and run times the webhook keeps up to date (not a user edit, so not audited)."""
        with self.engine.begin() as conn:
            conn.execute(messages.update().where(messages.c.id == message_id).values(**changes))

    def set_qstash_links(self, message_id: str, links: dict[str, str]) -> None:
        """Remember the QStash message or schedule id per zone group; qstash_id holds the first for the index."""
        with self.engine.begin() as conn:
            conn.execute(delete(qstash_links).where(qstash_links.c.message_id == message_id))
            if links:
                conn.execute(
                    insert(qstash_links),
                    [{"message_id": message_id, "zone": z, "qstash_id": q} for z, q in links.items()],
                )
            conn.execute(
                messages.update().where(messages.c.id == message_id).values(qstash_id=",".join(links.values()) or None)
            )

    def qstash_links(self, message_id: str) -> dict[str, str]:
        """Zone group → QStash id for a message."""
        with self.read() as conn:
            rows = conn.execute(
                select(qstash_links.c.zone, qstash_links.c.qstash_id).where(qstash_links.c.message_id == message_id)
            )
            return {zone: qid for zone, qid in rows}

    def find_by_qstash_id(self, qstash_id: str) -> str | None:
        """The message behind a QStash id (drift repair and support look-ups)."""
        with self.read() as conn:
            return conn.scalar(select(qstash_links.c.message_id).where(qstash_links.c.qstash_id == qstash_id))

    def upcoming_once_ids(self, after: datetime) -> list[str]:
        """Ids of scheduled one-time messages still to send after a time (drift check: QStash must hold them)."""
        query = select(messages.c.id).where(
            messages.c.kind == "once", messages.c.status == "scheduled", messages.c.send_at > after
        )
        with self.read() as conn:
            return list(conn.scalars(query))

    def active_recurring_ids(self) -> list[str]:
        """Ids of recurring messages that should have live QStash schedules (drift check)."""
        with self.read() as conn:
            return list(
                conn.scalars(
                    select(messages.c.id).where(
                        messages.c.kind != "once", messages.c.status.in_(("scheduled", "paused"))
                    )
                )
            )

    def count_by_status(self) -> dict[str, int]:
        """How many messages (not deleted) are in each status, every status listed (the metrics' gauge)."""
        query = (
            select(messages.c.status, func.count()).where(messages.c.deleted_at.is_(None)).group_by(messages.c.status)
        )
        with self.engine.connect() as conn:
            found = dict(conn.execute(query).all())
        return {status: found.get(status, 0) for status in MESSAGE_STATUSES}


def _write_follow_up(conn, message_id: str, follow_up: FollowUp | None) -> None:
    """Replace the message's follow-up (none: remove it) inside the caller's transaction."""
    conn.execute(delete(message_follow_ups).where(message_follow_ups.c.message_id == message_id))
    if follow_up is not None:
        conn.execute(
            insert(message_follow_ups).values(
                message_id=message_id, delay_seconds=follow_up.delay_seconds, body=follow_up.body
            )
        )


def _audited(values: dict, client_ids=None) -> dict:
    """The subset of values worth auditing (a follow-up as its delay and text)."""
    picked = {k: v for k, v in values.items() if k in AUDITED}
    if isinstance(picked.get("follow_up"), FollowUp):
        picked["follow_up"] = vars(picked["follow_up"])
    if client_ids:
        picked["client_ids"] = list(client_ids)
    return picked
