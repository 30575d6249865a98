"""The Clients page's service: add, edit and (de)activate clients, with clear messages for bad input.

Every call is scoped like the store: a coach touches only their own clients; support and admin may act for any
coach. A change that moves who lives in which zone re-registers the coach's "each client's own zone" recurring
schedules, so a client moved to a new zone is not silently left without a QStash schedule.
"""

from __future__ import annotations

import re

from services import recurrence
from services.domain import Actor, Client
from services.errors import SchedulerUnavailable, UserError
from services.store import Store
from services.text_fields import required_text

MAX_NAME = 120
MAX_TAG = 40
_TAG = re.compile(r"[A-Za-z0-9_-]+")


def clean_name(name: str | None) -> str:
    """A non-empty name that fits the column."""
    return required_text(name, MAX_NAME, "name", "Client name is required.", "name")


def clean_tags(tags) -> list[str]:
    """Lower-case, de-duplicated tags; each must be 1–40 letters, digits, '-' or '_'."""
    clean = []
    for given in tags or ():
        tag = (given or "").strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise UserError(f"The tag '{tag[:20]}…' is longer than {MAX_TAG} characters.", "tags")
        if not _TAG.fullmatch(tag):
            raise UserError(f"The tag '{tag}' may only use letters, digits, '-' and '_'.", "tags")
        clean.append(tag.lower())
    return sorted(set(clean))


def _check(name: str | None, zone_name: str | None, tags) -> tuple[str, str, list[str]]:
    """Validated name, zone and tags, in the order the form shows them."""
    name = clean_name(name)
    recurrence.zone(zone_name or "")
    return name, zone_name, clean_tags(tags)


def add(
    store: Store, actor: Actor, name: str, zone_name: str, tags=(), coach_id: str | None = None, schedules=None
) -> Client:
    """A new active client of the coach (support/admin must name an existing coach)."""
    name, zone_name, tags = _check(name, zone_name, tags)
    if actor.sees_all_coaches:
        if coach_id not in {c.id for c in store.accounts.coaches(actor)}:
            raise UserError("Choose the coach this client belongs to.", "coach")
    elif actor.role != "coach":
        raise UserError("Your role does not allow adding clients.")
    client = store.clients.add(actor, name, zone_name, tags, coach_id=coach_id)
    _resync(store, schedules, client.coach_id)
    return client


def edit(
    store: Store,
    actor: Actor,
    client_id: str,
    name: str,
    zone_name: str,
    tags,
    active: bool | None = None,
    schedules=None,
) -> Client:
    """New name, zone and tags (and, when given, active state) for one of the actor's clients."""
    name, zone_name, tags = _check(name, zone_name, tags)
    before = store.clients.get(actor, client_id)
    store.clients.update(actor, client_id, name, zone_name, tags)
    if active is not None and active != before.active:
        store.clients.set_active(actor, client_id, active)
    after = store.clients.get(actor, client_id)
    if after.active != before.active or (after.active and after.timezone != before.timezone):
        _resync(store, schedules, after.coach_id)
    return after


def set_active(store: Store, actor: Actor, client_id: str, active: bool, schedules=None) -> Client:
    """Activate or deactivate one of the actor's clients (inactive clients are skipped at send time)."""
    before = store.clients.get(actor, client_id)
    store.clients.set_active(actor, client_id, active)
    if before.active != active:
        _resync(store, schedules, before.coach_id)
    return store.clients.get(actor, client_id)


def _resync(store: Store, schedules, coach_id: str) -> None:
    """Re-register the coach's recurring per-client-zone schedules, whose zone groups may have changed."""
    if schedules is None:
        return
    owner = Actor(coach_id, "coach")
    rows, _ = store.messages.list(owner, status="scheduled", limit=500)
    failed = []
    for row in rows:
        if row["kind"] != "once" and row["zone_mode"] == "client":
            try:
                schedules.repair(owner, row["id"])
            except SchedulerUnavailable:
                failed.append(row["title"])  # the row now says 'error' with the reason; Repair retries
    if failed:
        raise SchedulerUnavailable(
            "Saved, but QStash could not update "
            + ", ".join(f"“{t}”" for t in failed)
            + ". Press Repair on the Schedules page."
        )
