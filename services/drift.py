"""Drift between the store and QStash: what should be registered and is not, and what QStash holds for nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.domain import Actor, Message
from services.errors import Forbidden, UserError
from services.qstash.port import schedule_id_for
from services.qstash.registrar import Registrar
from services.store import Store

# A one-time send due this soon may already be on its way (QStash forgets a message once delivered).
IN_FLIGHT_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Drift:
    """One disagreement between a stored message and QStash (`qstash_id`: a schedule id or a message id)."""

    message_id: str | None
    qstash_id: str
    problem: str


def find_drift(
    store: Store, registrar: Registrar, actor: Actor, now: datetime, include_once: bool = True
) -> list[Drift]:
    """Messages whose QStash firings are missing or paused wrongly, and (for support) schedules left behind.

    include_once=False skips one-time sends (one QStash call each): the minutely alert check reads schedules only.
    """
    remote = _remote(registrar)
    found: list[Drift] = []
    expected: set[str] = set()
    for message in _visible(store, actor, store.messages.active_recurring_ids()):
        drifts, ids = _recurring(registrar, message, remote)
        found += drifts
        expected |= ids
    once_ids = store.messages.upcoming_once_ids(now + IN_FLIGHT_MARGIN) if include_once else []
    for message in _visible(store, actor, once_ids):
        found += _once(registrar, message)
    if actor.sees_all_coaches:
        found += [Drift(None, sid, "schedule in QStash has no active message") for sid in remote if sid not in expected]
    return found


def drift_of(registrar: Registrar, message: Message, now: datetime) -> list[Drift]:
    """Where QStash disagrees with this one message (what the drift check would list for it)."""
    if message.recurring and message.status in ("scheduled", "paused"):
        return _recurring(registrar, message, _remote(registrar))[0]
    if message.kind == "once" and message.status == "scheduled" and message.send_at > now + IN_FLIGHT_MARGIN:
        return _once(registrar, message)
    return []


def _remote(registrar: Registrar) -> dict:
    """The project's QStash schedules by id."""
    return {s.schedule_id: s for s in registrar.scheduler.schedules() if s.schedule_id.startswith("cms-")}


def _recurring(registrar: Registrar, message: Message, remote: dict) -> tuple[list[Drift], set[str]]:
    """A recurring message's missing or wrongly paused schedules, and the schedule ids it should have."""
    found, expected = [], set()
    for zone in registrar.zones(message):
        schedule_id = schedule_id_for(message.id, zone)
        expected.add(schedule_id)
        schedule = remote.get(schedule_id)
        if schedule is None:
            found.append(Drift(message.id, schedule_id, "missing in QStash"))
        elif schedule.paused != (message.status == "paused"):
            found.append(Drift(message.id, schedule_id, "paused state differs"))
    return found, expected


def _once(registrar: Registrar, message: Message) -> list[Drift]:
    """A one-time message's firings QStash no longer holds."""
    links = registrar.links(message.id)
    if not links:
        return [Drift(message.id, "", "one-time send was never registered with QStash")]
    return [
        Drift(message.id, qstash_id, "one-time send missing in QStash")
        for qstash_id in links.values()
        if not registrar.scheduler.message_pending(qstash_id)
    ]


def _visible(store: Store, actor: Actor, message_ids: list[str]) -> list[Message]:
    """The messages among these the actor may see (another coach's are skipped)."""
    visible = []
    for message_id in message_ids:
        try:
            visible.append(store.messages.get(actor, message_id))
        except UserError:
            continue
    return visible


def require_orphan_rights(actor: Actor) -> None:
    """Only support and admin may delete a QStash schedule that belongs to no message a coach can see."""
    if not actor.sees_all_coaches:
        raise Forbidden("Only support staff can remove schedules that belong to no message.")
