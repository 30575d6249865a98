"""Who is who, for the pages' filters and tables: coach names by id, visible to the asking account."""

from __future__ import annotations

from services.domain import Actor
from services.store import Store


def coach_names(store: Store, actor: Actor) -> dict[str, str] | None:
    """Coach id → display name for support and admin (who work across coaches); None for a coach."""
    if not actor.sees_all_coaches:
        return None
    return {c.id: c.display_name for c in store.accounts.coaches(actor)}
