"""Drift between the store and QStash: what should be registered and is not, and what QStash holds for nobody."""

from __future__ import annotations

from dataclasses import dataclass

from services.domain import Actor
from services.errors import Forbidden, UserError
from services.qstash.port import schedule_id_for
from services.qstash.registrar import Registrar
from services.store import Store


@dataclass(frozen=True)
class Drift:
    """One disagreement between a stored message and QStash."""

    message_id: str | None
    schedule_id: str
    problem: str


def find_drift(store: Store, registrar: Registrar, actor: Actor) -> list[Drift]:
    """Messages whose QStash schedules are missing or paused wrongly, and (for support) schedules left behind."""
    remote = {s.schedule_id: s for s in registrar.scheduler.schedules() if s.schedule_id.startswith("cms-")}
    found: list[Drift] = []
    expected: set[str] = set()
    for message_id in store.messages.active_recurring_ids():
        try:
            message = store.messages.get(actor, message_id)
        except UserError:
            continue  # another coach's message
        for zone in registrar.zones(message):
            schedule_id = schedule_id_for(message.id, zone)
            expected.add(schedule_id)
            schedule = remote.get(schedule_id)
            if schedule is None:
                found.append(Drift(message.id, schedule_id, "missing in QStash"))
            elif schedule.paused != (message.status == "paused"):
                found.append(Drift(message.id, schedule_id, "paused state differs"))
    if actor.sees_all_coaches:
        found += [Drift(None, sid, "schedule in QStash has no active message") for sid in remote if sid not in expected]
    return found


def require_orphan_rights(actor: Actor) -> None:
    """Only support and admin may delete a QStash schedule that belongs to no message a coach can see."""
    if not actor.sees_all_coaches:
        raise Forbidden("Only support staff can remove schedules that belong to no message.")
