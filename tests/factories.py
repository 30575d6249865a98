"""Small builders for test data, written through the real store."""

from __future__ import annotations

from datetime import timedelta

from services.domain import Account, Client


def account(store, email: str, name: str, role: str, tz: str = "UTC", password_hash: str | None = None) -> Account:
    """An account written straight to the store (as the system), without a password unless given."""
    return store.accounts.insert(None, email, name, tz, role, password_hash)


def coach(store, email="coach@example.com", tz="America/New_York", name="Casey Coach") -> Account:
    """A coach account."""
    return account(store, email, name, "coach", tz)


def support(store, email="support@example.com") -> Account:
    """A support account."""
    return account(store, email, "Sky Support", "support")


def clients(store, owner: Account, specs) -> list[Client]:
    """Clients from (name, zone, tags[, active]) tuples."""
    made = []
    for spec in specs:
        name, zone, tags, *rest = spec
        made.append(store.clients.add(owner.as_actor(), name, zone, tags, active=rest[0] if rest else True))
    return made


def once_values(store, owner: Account, body="Hi {first_name}", minutes=10, **extra) -> dict:
    """Store values for a one-time message to all clients."""
    values = {
        "title": "Test",
        "body": body,
        "target": "all",
        "target_tag": None,
        "kind": "once",
        "send_at": store.clock() + timedelta(minutes=minutes),
        "cron": None,
        "timezone": owner.timezone,
        "zone_mode": "coach",
        "end_at": None,
        "max_occurrences": None,
        "status": "scheduled",
    }
    values.update(extra)
    return values
