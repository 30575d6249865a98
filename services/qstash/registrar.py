"""Where a schedule is registered: which QStash firings a stored message needs, and making QStash hold them.

A one-time message is one published firing per zone group; a recurring one is one QStash schedule per zone
group (the coach's zone, or each distinct zone of its active recipients). The ids QStash gave back are kept
on the message as its links (zone → QStash id).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services import recurrence
from services.domain import Message
from services.observability import logs
from services.qstash.port import Firing, Scheduler, dedup_id_for
from services.store import Store


class Registrar:
    """Publishes, upserts, pauses and removes the QStash firings of stored messages."""

    def __init__(self, store: Store, scheduler: Scheduler):
        self.store = store
        self.scheduler = scheduler

    def zones(self, message: Message) -> list[str]:
        """The zone groups a message fires in: the coach's zone, or each distinct client zone."""
        if message.zone_mode == "coach":
            return [message.timezone]
        return self.store.clients.zones_of(message)

    def links(self, message_id: str) -> dict[str, str]:
        """Zone → QStash id of what is registered for the message now."""
        return self.store.messages.qstash_links(message_id)

    def register(self, message: Message, renewal: str = "") -> dict[str, str]:
        """Publish or upsert one QStash firing per zone group, remembering them; returns zone → QStash id.

        `renewal` makes one-time publishes new even inside QStash's deduplication window (a repair).
        """
        links = {}
        for zone in self.zones(message):
            with logs.context(message_id=message.id, zone=zone):
                links[zone] = self._register_zone(message, zone, renewal)
        for zone, qstash_id in self.links(message.id).items():
            if message.recurring and zone not in links:
                self.scheduler.delete_schedule(qstash_id)  # a zone group nobody is in any more
        self.store.messages.set_qstash_links(message.id, links)
        return links

    def _register_zone(self, message: Message, zone: str, renewal: str) -> str:
        """Publish or upsert the firing of one zone group; returns its QStash id."""
        firing = Firing(message.id, message.coach_id, zone)
        if message.recurring:
            return self.scheduler.upsert_schedule(firing, message.cron)
        send_at = same_wall_clock(message.send_at, message.timezone, zone)
        dedup = dedup_id_for(message.id, message.version, zone, renewal)
        return self.scheduler.publish(firing, int(send_at.timestamp()), dedup)

    def unregister(self, message: Message) -> None:
        """Remove every QStash firing of the message."""
        self.withdraw(message, self.links(message.id))

    def withdraw(self, message: Message, links: dict[str, str]) -> None:
        """Remove these firings of (a version of) the message: cancel one-time sends, delete schedules."""
        with logs.context(message_id=message.id):
            for qstash_id in links.values():
                if message.recurring:
                    self.scheduler.delete_schedule(qstash_id)
                else:
                    self.scheduler.cancel_message(qstash_id)

    def pause(self, message: Message) -> None:
        """Stop firings until resumed: recurring schedules pause, a one-time firing is withdrawn."""
        if not message.recurring:
            self.unregister(message)
            return
        with logs.context(message_id=message.id):
            for schedule_id in self.links(message.id).values():
                self.scheduler.pause_schedule(schedule_id)

    def resume_in_place(self, message: Message) -> bool:
        """Resume paused schedules when they still match the zone groups; False when a fresh register is needed."""
        links = self.links(message.id)
        if not message.recurring or set(links) != set(self.zones(message)):
            return False
        with logs.context(message_id=message.id):
            for schedule_id in links.values():
                self.scheduler.resume_schedule(schedule_id)
        return True

    def delete_schedules(self, message: Message) -> None:
        """An ended recurring message no longer needs its QStash schedules."""
        with logs.context(message_id=message.id):
            for schedule_id in self.links(message.id).values():
                self.scheduler.delete_schedule(schedule_id)


def same_wall_clock(send_at: datetime, from_zone: str, to_zone: str) -> datetime:
    """The instant with the same local wall-clock time in another zone (each client's own time)."""
    if from_zone == to_zone:
        return send_at
    local = send_at.astimezone(recurrence.zone(from_zone)).replace(tzinfo=None)
    return local.replace(tzinfo=recurrence.zone(to_zone)).astimezone(UTC)
