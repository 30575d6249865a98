"""The Delivery Log page's service: who got which message when, what failed and why, and retrying failures."""

from __future__ import annotations

import uuid

from services import directory
from services.domain import Actor
from services.errors import UserError
from services.observability.actions import logged
from services.qstash.port import Firing, Scheduler, dedup_id_for
from services.store import Store
from services.store.base import Clock


class DeliveryLogService:
    """Reads of the delivery log under one set of filters, and support's retry of failed recipients."""

    def __init__(self, store: Store, scheduler: Scheduler, clock: Clock):
        self.store = store
        self.scheduler = scheduler
        self.clock = clock

    def coach_names(self, actor: Actor) -> dict[str, str] | None:
        """Coach names for support's filter; None for a coach."""
        return directory.coach_names(self.store, actor)

    def message_titles(self, actor: Actor, coach_id: str | None = None, limit: int = 500) -> dict[str, str]:
        """Message id → title for the message filter (newest first)."""
        rows, _ = self.store.messages.list(actor, coach_id=coach_id, limit=limit)
        return {row["id"]: row["title"] for row in rows}

    def status_counts(self, actor: Actor, **filters) -> dict[str, int]:
        """Status → number of deliveries under the filters."""
        return self.store.log.status_counts(actor, **filters)

    def per_day(self, actor: Actor, zone_name: str, **filters) -> list[dict]:
        """Deliveries per day of the viewer's zone and status, for the chart."""
        return self.store.log.per_day(actor, zone_name, **filters)

    def page(self, actor: Actor, limit: int = 25, offset: int = 0, **filters) -> tuple[list[dict], int]:
        """One page of deliveries (newest first) and the total under the filters."""
        return self.store.log.page(actor, limit=limit, offset=offset, **filters)

    def seek(self, actor: Actor, limit: int = 25, after=None, **filters) -> list[dict]:
        """The page of deliveries after a cursor (updated_at, id), newest first."""
        return self.store.log.seek(actor, limit=limit, after=after, **filters)

    def stream(self, actor: Actor, **filters):
        """Every delivery under the filters, from one server-side cursor (the CSV export)."""
        return self.store.log.stream(actor, **filters)

    def runs(self, actor: Actor, message_id: str | None = None, limit: int = 50) -> list[dict]:
        """Recent webhook runs, newest first."""
        return self.store.log.runs(actor, message_id, limit=limit)

    @logged("retry failed deliveries")
    def retry_failed(self, actor: Actor, delivery_ids: list[str]) -> int:
        """Reopen failed recipients (audited) and ask QStash to fire their occurrence again; returns how many."""
        rows = self.store.log.failed_ids(actor, delivery_ids)
        if not rows:
            raise UserError("None of the selected deliveries has failed, so there is nothing to retry.")
        messages = {m: self.store.messages.get(actor, m, include_deleted=True) for m in {row[1] for row in rows}}
        for message in sorted(messages.values(), key=lambda m: m.title):
            if message.deleted_at is not None:  # the webhook answers a deleted message's firings as cancelled
                raise UserError(f"That message was deleted: “{message.title}”. Its failures cannot be retried.")
            if message.status in ("cancelled", "paused"):
                raise UserError(
                    f"That message is {message.status}: “{message.title}”. Resume it (or schedule a new one) "
                    "before retrying."
                )
        zones = {c.id: c.timezone for c in self.store.clients.get_many(actor, [row[4] for row in rows])}
        # Only what this call reopened is fired again: a retry racing this one (a double click, a colleague)
        # reopens each row once, and the other call finds nothing left to do.
        reopened = self.store.deliveries.reopen([row[0] for row in rows], actor_id=actor.account_id)
        if not reopened:
            raise UserError("These deliveries are being retried already: none of them has failed any more.")
        # The webhook sends a firing to its zone group only: "each client's own zone" needs the client's zone.
        firings = {
            Firing(m, coach_id, zones.get(client_id, messages[m].timezone) if messages[m].zone_mode == "client"
                   else messages[m].timezone, slot)
            for _, m, coach_id, slot, client_id in reopened
        }  # fmt: skip
        for message_id in {firing.message_id for firing in firings}:
            if messages[message_id].status == "completed":
                self.store.messages.system_update(message_id, status="scheduled")
        retry = uuid.uuid4().hex  # each retry is a new publish, never deduplicated into an earlier one
        for firing in sorted(firings, key=lambda f: (f.message_id, f.slot or "", f.zone)):
            self.scheduler.publish(
                firing, None, dedup_id_for(firing.message_id, 0, firing.zone, f"{retry}|{firing.slot}")
            )
        return len(reopened)
