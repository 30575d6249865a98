"""The body QStash delivers, read into a Firing: every id checked before any of them reaches a query."""

from __future__ import annotations

from services import recurrence
from services.qstash.port import Firing

MAX_ID = 64  # our ids are UUIDs; a longer one names nothing we store
MAX_SLOT = 40  # the width of the slot column


class BadFiring(ValueError):
    """A body that can never be delivered; the reason goes back to QStash with a 489."""


def read_firing(payload: dict) -> Firing:
    """The firing a JSON body names (zone "" when it names none), or BadFiring saying what is wrong."""
    message_id, coach_id = payload.get("messageId"), payload.get("coachId")
    if not isinstance(message_id, str) or not isinstance(coach_id, str) or not message_id or not coach_id:
        raise BadFiring("body needs messageId and coachId strings")
    for name, value in (("messageId", message_id), ("coachId", coach_id)):
        if not _storable(value, MAX_ID):
            raise BadFiring(f"{name} must be at most {MAX_ID} printable characters")
    zone = payload.get("zone") or ""
    if zone and (not isinstance(zone, str) or zone not in recurrence.zone_names_set()):
        raise BadFiring("unknown zone")
    slot = payload.get("slot")
    if slot is not None and not (isinstance(slot, str) and _storable(slot, MAX_SLOT)):
        raise BadFiring("unknown occurrence slot")
    return Firing(message_id, coach_id, zone, slot)


def _storable(text: str, limit: int) -> bool:
    """True for 1..limit printable characters: no NUL (PostgreSQL refuses it), no lone surrogate (no UTF-8 form)."""
    return 0 < len(text) <= limit and text.isprintable()
