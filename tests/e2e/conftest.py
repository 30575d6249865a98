"""End-to-end helpers (the product fixtures live in tests/conftest.py)."""

from tests import factories


def coach_and_clients(store):
    """A New York coach with clients in three zones."""
    coach = factories.coach(store)
    people = factories.clients(
        store,
        coach,
        [
            ("Ann Apple", "America/New_York", ["vip"]),
            ("Ben Birch", "Europe/London", ["vip"]),
            ("Cy Cedar", "Asia/Tokyo", []),
        ],
    )
    return coach, people
