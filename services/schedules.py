"""Schedule lifecycle: create, edit, pause, resume, cancel; the store and QStash change together."""

from __future__ import annotations

from datetime import UTC, datetime

from services import compose, recurrence
from services.domain import Account, Actor, Message
from services.errors import SchedulerUnavailable, UserError
from services.scheduling import Firing, QStashScheduler, dedup_id_for
from services.store import Store
from services.store.base import Clock


class ScheduleService:
    """What the Message Scheduler and Schedules pages ask for."""

    def __init__(self, store: Store, scheduler: QStashScheduler, clock: Clock):
        self.store = store
        self.scheduler = scheduler
        self.clock = clock

    def create(self, account: Account, request: compose.ScheduleRequest) -> Message:
        """Validate, store, then register with QStash; a refusal leaves the row in 'error' with the reason."""
        actor = account.as_actor()
        values, client_ids = compose.validate(self.store, actor, request, account.timezone, self.clock())
        message = self.store.messages.insert(actor, values, client_ids)
        return self._register_or_record(actor, message)

    def edit(self, account: Account, message_id: str, request: compose.ScheduleRequest, version: int) -> Message:
        """Change an active message; the old QStash firing is replaced."""
        actor = account.as_actor()
        current = self._editable(actor, message_id)
        # Validate in the message's coach's scope (support may edit): their clients, tags and default zone.
        owner = self.store.accounts.get(current.coach_id)
        values, client_ids = compose.validate(self.store, owner.as_actor(), request, owner.timezone, self.clock())
        values["status"] = current.status
        # Schedules of a running recurring message are upserted in place; anything else is removed first.
        self._unregister(current, keep_schedules=values["kind"] != "once" and current.status == "scheduled")
        message = self.store.messages.update(actor, message_id, values, version, "edit", client_ids)
        return self._register_or_record(actor, message) if message.status != "paused" else message

    def pause(self, actor: Actor, message_id: str) -> Message:
        """Stop sends until resumed (QStash first: if it refuses, nothing changes)."""
        message = self._editable(actor, message_id)
        if message.status != "scheduled":
            raise UserError("Only scheduled messages can be paused.")
        if message.recurring:
            for schedule_id in self.store.messages.qstash_links(message.id).values():
                self.scheduler.pause_schedule(schedule_id)
        else:
            self._unregister(message)
        return self.store.messages.update(actor, message_id, {"status": "paused"}, message.version, "pause")

    def resume(self, actor: Actor, message_id: str) -> Message:
        """Send again from the next occurrence; a one-time message must still be in the future."""
        message = self._editable(actor, message_id)
        if message.status not in ("paused", "error"):
            raise UserError("Only paused messages can be resumed.")
        if not message.recurring and message.send_at <= self.clock():
            raise UserError("The send time has passed. Edit the message to pick a new time.")
        message = self.store.messages.update(
            actor, message_id, {"status": "scheduled", "last_error": None}, message.version, "resume"
        )
        links = self.store.messages.qstash_links(message.id)
        if message.recurring and set(links) == set(self.zones(message)):
            for schedule_id in links.values():
                self.scheduler.resume_schedule(schedule_id)
            return message
        return self._register_or_record(actor, message)

    def cancel(self, actor: Actor, message_id: str) -> Message:
        """Stop for good: QStash firings are removed, then the row says cancelled."""
        message = self.store.messages.get(actor, message_id)
        if message.status in ("cancelled", "completed"):
            raise UserError(f"This message is already {message.status}.")
        self._unregister(message)
        return self.store.messages.update(actor, message_id, {"status": "cancelled"}, message.version, "cancel")

    def repair(self, actor: Actor, message_id: str) -> Message:
        """Re-register a message whose QStash side drifted or failed."""
        message = self.store.messages.get(actor, message_id)
        if message.status not in ("scheduled", "error"):
            raise UserError("Only scheduled messages can be repaired.")
        return self._register_or_record(actor, message)

    def zones(self, message: Message) -> list[str]:
        """The zone groups a message fires in: the coach's zone, or each distinct client zone."""
        if message.zone_mode == "coach":
            return [message.timezone]
        return self.store.clients.zones_of(message)

    def _editable(self, actor: Actor, message_id: str) -> Message:
        """A message that may still change."""
        message = self.store.messages.get(actor, message_id)
        if message.status in ("cancelled", "completed"):
            raise UserError(f"This message is {message.status} and can no longer change.")
        return message

    def _register_or_record(self, actor: Actor, message: Message) -> Message:
        """Register with QStash; on refusal record the reason on the row and re-raise for the page."""
        try:
            links = self._register(message)
        except SchedulerUnavailable as exc:
            self.store.messages.update(
                actor, message.id, {"status": "error", "last_error": exc.message}, action="qstash_error"
            )
            raise
        self.store.messages.set_qstash_links(message.id, links)
        if message.status == "error":
            return self.store.messages.update(
                actor, message.id, {"status": "scheduled", "last_error": None}, action="repair"
            )
        return self.store.messages.get(actor, message.id)

    def _register(self, message: Message) -> dict[str, str]:
        """Publish or upsert one QStash firing per zone group; returns zone → QStash id."""
        links = {}
        for zone in self.zones(message):
            firing = Firing(message.id, message.coach_id, zone)
            if message.recurring:
                links[zone] = self.scheduler.upsert_schedule(firing, message.cron)
            else:
                send_at = _same_wall_clock(message.send_at, message.timezone, zone)
                links[zone] = self.scheduler.publish(
                    firing, int(send_at.timestamp()), dedup_id_for(message.id, message.version, zone)
                )
        for zone, qstash_id in self.store.messages.qstash_links(message.id).items():
            if message.recurring and zone not in links:
                self.scheduler.delete_schedule(qstash_id)  # a zone group nobody is in any more
        return links

    def _unregister(self, message: Message, keep_schedules: bool = False) -> None:
        """Remove QStash firings; recurring schedules are kept when they will be upserted again."""
        for qstash_id in self.store.messages.qstash_links(message.id).values():
            if not message.recurring:
                self.scheduler.cancel_message(qstash_id)
            elif not keep_schedules:
                self.scheduler.delete_schedule(qstash_id)


def _same_wall_clock(send_at: datetime, from_zone: str, to_zone: str) -> datetime:
    """The instant with the same local wall-clock time in another zone (each client's own time)."""
    if from_zone == to_zone:
        return send_at
    local = send_at.astimezone(recurrence.zone(from_zone)).replace(tzinfo=None)
    return local.replace(tzinfo=recurrence.zone(to_zone)).astimezone(UTC)
