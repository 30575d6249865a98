"""Fixtures for quiet hours and the daily cap: a New York coach with clients in three zones."""

import pytest

from tests import factories

# At the test clock's 12:00 UTC: 07:00 in New York, 12:00 in London, 21:00 in Tokyo.
THREE_ZONES = [
    ("Ann Apple", "America/New_York", []),
    ("Ben Birch", "Europe/London", []),
    ("Cy Cedar", "Asia/Tokyo", []),
]


@pytest.fixture
def coach(store):
    return factories.coach(store)


@pytest.fixture
def people(store, coach):
    return factories.clients(store, coach, THREE_ZONES)
