"""Fixtures for webhook tests: a coach with clients (the product fixtures live in tests/conftest.py)."""

import pytest

from tests import factories


def make_coach_with_clients(store):
    """A coach with three active clients and one inactive."""
    coach = factories.coach(store)
    people = factories.clients(
        store,
        coach,
        [
            ("Ann Apple", "America/New_York", ["vip"]),
            ("Ben Birch", "Europe/London", ["vip"]),
            ("Cy Cedar", "Asia/Tokyo", []),
            ("Di Dormant", "UTC", ["vip"], False),
        ],
    )
    return coach, people


@pytest.fixture
def coach_with_clients(product):
    """A coach with three active clients and one inactive, in the running product's store."""
    return make_coach_with_clients(product.store)
