"""Fixtures for webhook tests: the product over the parametrized database, a coach with clients."""
import pytest

from tests import factories
from tests.harness import Product


@pytest.fixture
def product(db_url, tmp_path):
    """The running product on the local inbox."""
    running = Product(db_url, tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
def coach_with_clients(product):
    """A coach with three active clients and one inactive."""
    store = product.store
    coach = factories.coach(store)
    people = factories.clients(store, coach, [("Ann Apple", "America/New_York", ["vip"]),
                                              ("Ben Birch", "Europe/London", ["vip"]),
                                              ("Cy Cedar", "Asia/Tokyo", []),
                                              ("Di Dormant", "UTC", ["vip"], False)])
    return coach, people
