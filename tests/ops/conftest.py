"""Fixtures for operations tests: a local alert receiver and the product posting its alerts there."""

import pytest

from tests.receivers import RecordingReceiver

ALERTS = "/alerts"


@pytest.fixture
def alert_receiver():
    """A Slack-compatible incoming webhook on loopback that records every alert it is sent."""
    receiver = RecordingReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def ops_product(db_url, tmp_path, alert_receiver, clock):
    """The running product (local QStash → webhook → local inbox) posting alerts to the receiver; its services
    (and so the alert windows) run on the test's clock."""
    from tests.harness import Product

    running = Product(db_url, tmp_path / "data", clock=clock, alert_webhook_url=alert_receiver.url(ALERTS))
    yield running
    running.stop()
