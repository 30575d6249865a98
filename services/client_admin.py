"""The Clients page's service: list, add, edit and (de)activate clients, with clear messages for bad input.

Every call is scoped like the store: a coach touches only their own clients; support and admin may act for any
coach. A change that moves who lives in which zone re-registers the coach's "each client's own zone" recurring
schedules, so a client moved to a new zone is not silently left without a QStash schedule.
"""

from __future__ import annotations

from services import client_import, directory, validation
from services.domain import Actor, Client
from services.errors import Forbidden, SchedulerUnavailable, UserError
from services.observability.actions import logged
from services.schedules import ScheduleService
from services.store import Store


class ClientService:
    """What the Clients page reads and changes."""

    max_name = validation.MAX_PERSON_NAME

    def __init__(self, store: Store, schedules: ScheduleService):
        self.store = store
        self.schedules = schedules

    def page(
        self,
        actor: Actor,
        tag: str | None = None,
        search: str | None = None,
        active: bool | None = None,
        coach_id: str | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[Client], int]:
        """One page of the actor's clients under the filters, and the total."""
        return self.store.clients.page(
            actor, tag=tag, search=search, active=active, coach_id=coach_id, limit=limit, offset=offset
        )

    def get(self, actor: Actor, client_id: str) -> Client:
        """One client the actor may see."""
        return self.store.clients.get(actor, client_id)

    def tags(self, actor: Actor) -> list[str]:
        """The tags the actor's clients carry."""
        return self.store.clients.tags(actor)

    def coach_names(self, actor: Actor) -> dict[str, str] | None:
        """Coach names for support's filter and column; None for a coach."""
        return directory.coach_names(self.store, actor)

    def add(self, actor: Actor, name: str, zone_name: str, tags=(), coach_id: str | None = None) -> Client:
        """A new active client of the coach (support/admin must name an existing coach)."""
        name, zone_name, tags = _checked(name, zone_name, tags)
        if actor.sees_all_coaches:
            if coach_id not in {c.id for c in self.store.accounts.coaches(actor)}:
                raise UserError("Choose the coach this client belongs to.", "coach")
        elif actor.role != "coach":
            raise Forbidden("Your role does not allow adding clients.")
        client = self.store.clients.add(actor, name, zone_name, tags, coach_id=coach_id)
        self._resync(client.coach_id)
        return client

    def edit(self, actor: Actor, client_id: str, name: str, zone_name: str, tags, active: bool | None = None) -> Client:
        """New name, zone and tags (and, when given, active state) for one of the actor's clients."""
        name, zone_name, tags = _checked(name, zone_name, tags)
        before = self.store.clients.get(actor, client_id)
        after = self.store.clients.update(actor, client_id, name, zone_name, tags, active)
        if after.active != before.active or (after.active and after.timezone != before.timezone):
            self._resync(after.coach_id)
        return after

    def read_import(self, data: bytes) -> client_import.ImportPreview:
        """A CSV file's rows, each with its problem, before anything is written."""
        return client_import.read(self.store, data)

    @logged("import clients")
    def run_import(self, actor: Actor, preview: client_import.ImportPreview, coach_id: str | None = None) -> int:
        """Write every previewed row in one transaction (or none); returns how many clients were added."""
        added = client_import.write(self.store, actor, coach_id, preview)
        self._resync(coach_id if actor.sees_all_coaches else actor.account_id)
        return added

    def _resync(self, coach_id: str) -> None:
        """Re-register the coach's recurring per-client-zone schedules, whose zone groups may have changed."""
        failed = self.schedules.reregister_client_zones(coach_id)
        if failed:
            raise SchedulerUnavailable(
                "Saved, but QStash could not update "
                + ", ".join(f"“{t}”" for t in failed)
                + ". Press Repair on the Schedules page."
            )


def _checked(name: str | None, zone_name: str | None, tags) -> tuple[str, str, list[str]]:
    """Validated name, zone and tags, in the order the form shows them."""
    return validation.client_name(name), validation.zone(zone_name), validation.tags(tags)
