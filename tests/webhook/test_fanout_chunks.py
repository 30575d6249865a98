"""Large audiences go out as bounded chunks through QStash's batch API; every client still gets exactly one message."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from services.chat.port import OutgoingMessage, SendResult
from services.delivery import Chunking, DeliveryService
from services.fanout_outcomes import OutcomeBuffer
from services.pacing import Pacer
from tests import factories
from tests.harness import Product, wait_until


class Killed(BaseException):
    """The process dying mid-send (nothing after it runs in that attempt)."""


class IdempotentChat:
    """A chat provider that stores each message id once (like Stream) and can die after k sends."""

    name = "test chat"

    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.kill_after: int | None = None
        self.delivered: dict[str, str] = {}  # chat message id -> client chat user id
        self.calls = 0
        self._lock = threading.Lock()

    def prepare_users(self, users) -> None:
        """Nothing to set up."""

    def send(self, message: OutgoingMessage) -> SendResult:
        time.sleep(self.latency)
        with self._lock:
            if self.kill_after is not None and self.calls >= self.kill_after:
                raise Killed()
            self.calls += 1
            known = message.message_id in self.delivered
            self.delivered[message.message_id] = message.client.id
        return SendResult(message.message_id, already_delivered=known)


class Chunks:
    """A scheduler stand-in that keeps the published chunk bodies."""

    def __init__(self):
        self.published: list[tuple[dict, str]] = []
        self.flows = []

    def publish_chunks(self, chunks, flow=None):
        self.published += chunks
        self.flows.append(flow)
        return [f"chunk-{i}" for i in range(len(chunks))]


@pytest.fixture
def audience(store):
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(7)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    return coach, people, message


def _service(store, clock, chat, chunks, size=3):
    return DeliveryService(store, chat, Pacer(0), clock, lambda m: None, concurrency=1,
                           chunking=Chunking(chunks, inline_max=3, size=size))  # fmt: skip


def _parent(delivery, message):
    return delivery.fire({"messageId": message.id, "coachId": message.coach_id}, "parent", 0)


def test_a_large_audience_is_split_into_bounded_chunks(store, clock, audience):
    """7 clients above an inline limit of 3: rows are created and three chunks of at most 3 are published."""
    _coach, people, message = audience
    chunks = Chunks()
    answer = _parent(_service(store, clock, IdempotentChat(), chunks), message)
    assert (answer.status, answer.body["chunks"]) == (200, 3)
    assert sorted(len(body["clients"]) for body, _ in chunks.published) == [1, 3, 3]
    assert sorted(c for body, _ in chunks.published for c in body["clients"]) == sorted(c.id for c in people)
    assert store.deliveries.slot_counts(message.id, "once") == {"pending": 7}


def test_a_chunk_killed_mid_send_is_finished_by_its_retry_without_duplicates(store, clock, audience, monkeypatch):
    """The chunk dies after 2 of 3 sends before recording anything; QStash's retry sends only what is left."""
    _coach, _people, message = audience
    chat, chunks = IdempotentChat(), Chunks()
    delivery = _service(store, clock, chat, chunks)
    _parent(delivery, message)
    body = next(body for body, _ in chunks.published if len(body["clients"]) == 3)
    chat.kill_after = 2
    with monkeypatch.context() as patch:
        patch.setattr(OutcomeBuffer, "flush", lambda self: None)  # it died before any outcome was written
        with pytest.raises(Killed):
            delivery.fire_chunk(body, "chunk-a", 0)
    chat.kill_after = None
    retry = delivery.fire_chunk(body, "chunk-a", 1)
    assert (retry.status, retry.body["sent"], retry.body["pending"]) == (200, 3, 0)
    assert sorted(chat.delivered.values()) == sorted(
        c.chat_user_id for c in store.clients.get_many(_coach.as_actor(), body["clients"])
    )
    assert chat.calls == 2 + 3  # the retry resent the two unrecorded ones: the provider kept one copy of each


def test_two_deliveries_of_the_same_chunk_at_once_send_once(store, clock, audience):
    """QStash delivers one chunk twice at the same moment: each client of it gets one message."""
    _coach, _people, message = audience
    chat, chunks = IdempotentChat(latency=0.05), Chunks()
    delivery = _service(store, clock, chat, chunks)
    _parent(delivery, message)
    body = next(body for body, _ in chunks.published if len(body["clients"]) == 3)
    results = []
    threads = [threading.Thread(target=lambda: results.append(delivery.fire_chunk(body, "chunk-b", 0))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert chat.calls == 3
    assert len(set(chat.delivered.values())) == 3
    assert sorted(a.status for a in results) in ([200, 200], [200, 503])


def test_chunks_go_through_local_qstash_and_complete_the_message(db_url, tmp_path):
    """End to end: the firing publishes chunks with batch_json, each is verified and sent, the message completes."""
    product = Product(db_url, tmp_path / "data", fanout_inline_max=3, fanout_chunk_size=2)
    try:
        store = product.store
        coach = factories.coach(store)
        people = factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(7)])
        values = factories.once_values(store, coach, body="Hi {first_name}!", minutes=0)
        values["send_at"] = datetime.now(UTC) + timedelta(seconds=1)
        message = store.messages.insert(coach.as_actor(), values)
        product.services.schedules.repair(coach.as_actor(), message.id)
        actor = coach.as_actor()
        wait_until(lambda: store.messages.get(actor, message.id).status == "completed", timeout=30)
        assert store.log.status_counts(actor) == {"sent": 7}
        inbox = store.inbox.list(actor, limit=50)
        assert sorted(m["client_chat_id"] for m in inbox) == sorted(c.chat_user_id for c in people)
        # The firing's own run is closed as "chunked" once QStash took the chunks, and the chunks may all be
        # done before that: the run is closed a moment after the message completes.
        outcomes = wait_until(lambda: _closed_outcomes(store, actor), timeout=10)
        assert sorted(outcomes) == ["chunked", "done", "done", "done", "done"]
    finally:
        product.stop()


def _closed_outcomes(store, actor) -> list[str] | None:
    """Every run's outcome, or None while a run is still open."""
    outcomes = [r["outcome"] for r in store.log.runs(actor)]
    return None if None in outcomes else outcomes
