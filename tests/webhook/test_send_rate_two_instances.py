"""Two webhook instances, one Stream app: QStash flow control holds the app's send limit across both."""

from datetime import UTC, datetime

import pytest

from services.chat.stream_gateway import StreamChatGateway
from services.qstash.port import Firing
from tests import factories
from tests.harness import Product, wait_until

LIMIT = 1000  # Stream's Send Message limit per app and minute
# Scaled from the 3,000 recipients to keep the test near 70 s: two fan-outs of 16 whole chunks (32
# recipients, one every 2 s at 1,000/min), so the stand-in's first minute is busy from end to end.
PER_INSTANCE = 512


def _fan_out(product: Product, email: str):
    """A coach with PER_INSTANCE clients and a message to all of them, fired through QStash at this instance."""
    store = product.store
    coach = factories.coach(store, email=email)
    rows = [
        {
            "name": f"Client {n}",
            "email": f"{email}-{n}@example.com",
            "timezone": "UTC",
            "tags": [],
            "chat_user_id": None,
        }
        for n in range(PER_INSTANCE)
    ]
    store.client_import.add_many(coach.as_actor(), coach.id, rows)
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    product.services.scheduler.publish(Firing(message.id, coach.id, "UTC"), None, f"two-instances-{message.id}")
    return message


def _idle(flow) -> bool:
    """No chunk waiting or being delivered under the key."""
    return flow.wait_list_size == 0 and flow.parallelism_count == 0


def _first(sent: list[dict]) -> datetime:
    """When the stand-in stored the first of these messages."""
    return min(datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")) for m in sent)


@pytest.mark.timed
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_instances_hold_streams_limit_together(db_url, tmp_path, standin, record_property):
    """TIMED (about 70 s): each instance fans out 512 recipients at once through the same local QStash; the
    stand-in (1,000 sends per 60 s window, 429 beyond) counts at least 95 % of the limit in its first window,
    at most 1 % of calls answered 429, and both instances sent within that window."""
    standin.rate_limit(LIMIT)

    def instance(**shared) -> Product:
        gateway = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url)
        return Product(db_url, tmp_path / "data", chat=gateway, chat_sends_per_minute=LIMIT, **shared)

    first = instance()
    second = instance(qstash=first.qstash)  # its own Services and webhook server, the same QStash
    try:
        messages = [_fan_out(first, "a@example.com"), _fan_out(second, "b@example.com")]
        wait_until(lambda: len(standin.messages()) >= 2 * PER_INSTANCE, timeout=150, interval=0.5)
        # Every chunk answered before the servers stop (none still holds a database connection).
        key = first.services.delivery.chunking.flow.key
        wait_until(lambda: _idle(first.services.scheduler.client.flow_control.get(key)))
    finally:
        second.stop()
        first.stop()
    sent = standin.messages()
    assert len({m["id"] for m in sent}) == len(sent) == 2 * PER_INSTANCE  # nobody twice
    windows = standin.limits.windows("send_message")
    record_property("stand_in_windows", windows)
    allowed = sum(w[1] for w in windows)
    refused = sum(w[2] for w in windows)
    assert windows[0][1] >= 0.95 * LIMIT, windows  # the first minute was used, not wasted
    assert refused <= 0.01 * (allowed + refused), windows
    by_instance = [[m for m in sent if m["id"].startswith(f"{message.id}-")] for message in messages]
    assert [len(group) for group in by_instance] == [PER_INSTANCE, PER_INSTANCE]
    # Both instances sent inside the stand-in's first window: the limit held for the two of them together (QStash
    # hands the key's chunks out in order, so the instances take turns rather than each pacing alone).
    first_window_ends = datetime.fromtimestamp(windows[0][0] + 60, UTC)
    assert all(_first(group) < first_window_ends for group in by_instance)
