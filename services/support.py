"""Support tools: retry failed recipients, drift between the store and QStash, dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.domain import Actor
from services.errors import Forbidden, UserError
from services.schedules import ScheduleService
from services.scheduling import Firing, QStashScheduler, schedule_id_for
from services.store import Store


@dataclass(frozen=True)
class Drift:
    """One disagreement between a stored message and QStash."""

    message_id: str | None
    schedule_id: str
    problem: str


class SupportService:
    """What support staff do from the Delivery Log and Schedules pages."""

    def __init__(self, store: Store, scheduler: QStashScheduler, schedules: ScheduleService):
        self.store = store
        self.scheduler = scheduler
        self.schedules = schedules

    def retry_failed(self, actor: Actor, delivery_ids: list[str]) -> int:
        """Reopen failed recipients and ask QStash to fire their occurrence again; returns how many."""
        rows = self.store.log.failed_ids(actor, delivery_ids)
        if not rows:
            raise UserError("None of the selected deliveries has failed, so there is nothing to retry.")
        occurrences = {(message_id, coach_id, slot) for _, message_id, coach_id, slot in rows}
        for message_id, _, _ in occurrences:
            status = self.store.messages.get(actor, message_id).status
            if status in ("cancelled", "paused"):
                raise UserError(f"That message is {status}: resume it (or schedule a new one) before retrying.")
        reopened = self.store.deliveries.reopen([row[0] for row in rows])
        for message_id, coach_id, slot in sorted(occurrences):
            message = self.store.messages.get(actor, message_id)
            if message.status == "completed":
                self.store.messages.system_update(message_id, status="scheduled")
            stamp = datetime.now().strftime("%Y%m%d%H%M%S%f")
            self.scheduler.publish(
                Firing(message_id, coach_id, message.timezone, slot), None, f"retry-{message_id}-{stamp}"
            )
        return reopened

    def drift(self, actor: Actor) -> list[Drift]:
        """Messages whose QStash schedules are missing, paused wrongly, or left behind."""
        if not actor.sees_all_coaches and actor.role != "coach":
            raise Forbidden("Your role does not allow this.")
        remote = {s.schedule_id: s for s in self.scheduler.schedules() if s.schedule_id.startswith("cms-")}
        found: list[Drift] = []
        expected: set[str] = set()
        for message_id in self.store.messages.active_recurring_ids():
            try:
                message = self.store.messages.get(actor, message_id)
            except UserError:
                continue  # another coach's message
            for zone in self.schedules.zones(message):
                schedule_id = schedule_id_for(message.id, zone)
                expected.add(schedule_id)
                schedule = remote.get(schedule_id)
                if schedule is None:
                    found.append(Drift(message.id, schedule_id, "missing in QStash"))
                elif schedule.paused != (message.status == "paused"):
                    found.append(Drift(message.id, schedule_id, "paused state differs"))
        if actor.sees_all_coaches:
            found += [
                Drift(None, sid, "schedule in QStash has no active message") for sid in remote if sid not in expected
            ]
        return found

    def repair(self, actor: Actor, drift: Drift) -> None:
        """Make QStash match the store for one drift row."""
        if drift.message_id is None:
            self.scheduler.delete_schedule(drift.schedule_id)
            return
        message = self.store.messages.get(actor, drift.message_id)
        if message.status == "paused":
            self.scheduler.pause_schedule(drift.schedule_id)
        else:
            self.schedules.repair(actor, message.id)
