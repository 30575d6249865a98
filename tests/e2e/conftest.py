"""End-to-end fixtures: the product (local QStash → webhook → chat) over the parametrized database."""
import pytest

from services.chat.stream_gateway import StreamChatGateway
from tests import factories
from tests.harness import Product
from tests.stream_standin import StreamStandIn


@pytest.fixture
def product(db_url, tmp_path):
    """The running product on the local inbox."""
    running = Product(db_url, tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
def standin():
    """A Stream app on loopback."""
    with StreamStandIn() as running:
        yield running


@pytest.fixture
def stream_product(db_url, tmp_path, standin):
    """The running product delivering through Stream (the stand-in)."""
    gateway = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url)
    running = Product(db_url, tmp_path / "data", chat=gateway)
    yield running
    running.stop()


def coach_and_clients(store):
    """A New York coach with clients in three zones."""
    coach = factories.coach(store)
    people = factories.clients(store, coach, [("Ann Apple", "America/New_York", ["vip"]),
                                              ("Ben Birch", "Europe/London", ["vip"]),
                                              ("Cy Cedar", "Asia/Tokyo", [])])
    return coach, people
