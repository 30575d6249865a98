"""Fan-out rules, fast: DeliveryService driven directly over the real store (SQLite and PostgreSQL) and a
recording chat gateway. The HTTP path and the real providers are covered by test_fanout.py and the e2e tests."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from services.chat.port import ChatUser, OutgoingMessage, PermanentChatError, SendResult, TransientChatError
from services.delivery import DeliveryService
from services.pacing import Pacer
from tests import factories

NON_RETRYABLE = {"Upstash-NonRetryable-Error": "true"}


class RecordingChat:
    """A chat gateway (services.chat.port.ChatGateway) that records every send and fails chosen recipients."""

    name = "recording"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[OutgoingMessage] = []  # accepted sends, in order
        self.attempts: Counter = Counter()  # chat user id -> send calls, accepted or not
        self.prepared: list[list[ChatUser]] = []
        self._faults: dict[str, dict] = {}  # chat user id -> how its next sends fail

    def fail(self, user: str, permanent: bool = False, times: int | None = 1, retry_after: float | None = None):
        """Refuse the next `times` sends to this chat user (None: until cleared), permanently or transiently."""
        with self._lock:
            self._faults[user] = {"permanent": permanent, "times": times, "retry_after": retry_after}

    def prepare_users(self, users: list[ChatUser]) -> None:
        with self._lock:
            self.prepared.append(list(users))

    def send(self, message: OutgoingMessage) -> SendResult:
        user = message.client.id
        with self._lock:
            self.attempts[user] += 1
            fault = self._faults.get(user)
            if fault is not None:
                if fault["times"] is not None:
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        del self._faults[user]
                if fault["permanent"]:
                    raise PermanentChatError(f"refused {user}")
                raise TransientChatError(f"unavailable for {user}", retry_after=fault["retry_after"])
            if any(m.message_id == message.message_id for m in self.sent):
                return SendResult(message.message_id, already_delivered=True)
            self.sent.append(message)
        return SendResult(message.message_id)

    def recipients(self) -> list[str]:
        """Chat user ids that received an accepted message, sorted."""
        return sorted(m.client.id for m in self.sent)


@pytest.fixture
def chat():
    return RecordingChat()


@pytest.fixture
def finished():
    """Messages whose schedule ended (the service's on_finished callback)."""
    return []


@pytest.fixture
def delivery(store, chat, clock, finished):
    return DeliveryService(store, chat, Pacer(0), clock, on_finished=finished.append, concurrency=4)


@pytest.fixture
def coach(store):
    return factories.coach(store)


@pytest.fixture
def people(store, coach):
    """Three active clients and one inactive."""
    return factories.clients(
        store,
        coach,
        [
            ("Ann Apple", "America/New_York", ["vip"]),
            ("Ben Birch", "Europe/London", ["vip"]),
            ("Cy Cedar", "Asia/Tokyo", []),
            ("Di Dormant", "UTC", ["vip"], False),
        ],
    )


def _once(store, coach, **extra):
    return store.messages.insert(
        coach.as_actor(), factories.once_values(store, coach, body="Hi {first_name}, from {coach_name}", **extra)
    )


def _daily(store, coach, **extra):
    values = factories.once_values(store, coach, kind="daily", send_at=None, cron="0 9 * * *", **extra)
    return store.messages.insert(coach.as_actor(), values)


def _fire(delivery, message, qstash_id="msg_1", retried=0, coach_id=None, **extra):
    payload = {"messageId": message.id, "coachId": coach_id or message.coach_id, **extra}
    return delivery.fire(payload, qstash_id, retried)


def _active_ids(people):
    return sorted(c.chat_user_id for c in people if c.active)


def test_every_active_recipient_gets_exactly_one_personalised_message(store, delivery, chat, coach, people):
    message = _once(store, coach)

    answer = _fire(delivery, message)

    assert answer.status == 200
    assert answer.body == {"messageId": message.id, "slot": "once", "sent": 3, "failed": 0, "skipped": 1, "pending": 0}
    assert chat.recipients() == _active_ids(people)
    assert sorted(m.text for m in chat.sent) == [
        "Hi Ann, from Casey Coach",
        "Hi Ben, from Casey Coach",
        "Hi Cy, from Casey Coach",
    ]
    assert {m.coach for m in chat.sent} == {ChatUser(coach.chat_user_id, coach.display_name)}
    assert len({m.message_id for m in chat.sent}) == 3
    stored = store.messages.get(coach.as_actor(), message.id)
    assert (stored.status, stored.sent_count, stored.occurrences) == ("completed", 3, 1)
    assert store.log.status_counts(coach.as_actor()) == {"sent": 3, "skipped": 1}


def test_inactive_clients_are_skipped_and_never_sent_to(store, delivery, chat, coach, people):
    dormant = next(c for c in people if not c.active)
    message = _once(store, coach)

    _fire(delivery, message)

    assert dormant.chat_user_id not in chat.attempts
    assert all(dormant.chat_user_id not in {u.id for u in batch} for batch in chat.prepared)
    rows, _ = store.log.page(coach.as_actor(), status="skipped")
    assert [(r["client"], r["last_error"]) for r in rows] == [("Di Dormant", "client is inactive")]


def test_tag_target_sends_to_active_clients_with_the_tag(store, delivery, chat, coach, people):
    message = _once(store, coach, target="tag", target_tag="vip")

    answer = _fire(delivery, message)

    assert (answer.status, answer.body["sent"], answer.body["skipped"]) == (200, 2, 1)  # Ann, Ben; Di is inactive
    assert chat.recipients() == sorted(c.chat_user_id for c in people if c.name in ("Ann Apple", "Ben Birch"))


def test_a_second_fire_of_the_same_occurrence_sends_nothing_new(store, delivery, chat, coach, people):
    """A recurring message fired twice for the same slot (another QStash id): the second sends nothing."""
    message = _daily(store, coach)

    first = _fire(delivery, message, qstash_id="msg_a")
    second = _fire(delivery, message, qstash_id="msg_b")

    assert first.status == second.status == 200
    assert first.body["slot"] == second.body["slot"]
    assert (second.body["sent"], second.body["pending"]) == (3, 0)
    assert chat.recipients() == _active_ids(people)
    assert sum(chat.attempts.values()) == 3
    assert store.log.status_counts(coach.as_actor()) == {"sent": 3, "skipped": 1}


def test_a_duplicate_of_a_one_time_message_sends_nothing_new(store, delivery, chat, coach, people):
    """The same one-time firing again, as if the duplicate raced completion: no client hears twice."""
    message = _once(store, coach)
    assert _fire(delivery, message).status == 200
    store.messages.system_update(message.id, status="scheduled")

    again = _fire(delivery, message, qstash_id="msg_dup")

    assert (again.status, again.body["sent"]) == (200, 3)
    assert sum(chat.attempts.values()) == 3
    assert chat.recipients() == _active_ids(people)


def test_transient_failure_answers_503_and_the_retry_sends_only_the_rest(store, delivery, chat, coach, people):
    ann = people[0]
    chat.fail(ann.chat_user_id, times=1)
    message = _once(store, coach)

    first = _fire(delivery, message)

    assert first.status == 503
    assert "Retry-After" not in first.headers  # QStash's own backoff applies
    assert (first.body["sent"], first.body["pending"], first.body["failed"]) == (2, 1, 0)
    assert store.messages.get(coach.as_actor(), message.id).status == "scheduled"
    before = Counter(chat.attempts)

    retry = _fire(delivery, message, retried=1)

    assert retry.status == 200
    assert (retry.body["sent"], retry.body["pending"]) == (3, 0)
    assert chat.attempts - before == Counter({ann.chat_user_id: 1})  # only the one left over
    assert chat.recipients() == _active_ids(people)
    assert store.messages.get(coach.as_actor(), message.id).status == "completed"


def test_an_unexpected_gateway_error_keeps_the_row_for_the_retry(store, delivery, chat, coach, people, monkeypatch):
    ann = people[0]
    message = _once(store, coach)
    original = chat.send

    def broken(outgoing):
        if outgoing.client.id == ann.chat_user_id:
            raise RuntimeError("gateway bug")
        return original(outgoing)

    monkeypatch.setattr(chat, "send", broken)
    first = _fire(delivery, message)
    monkeypatch.setattr(chat, "send", original)
    retry = _fire(delivery, message, retried=1)

    assert (first.status, first.body["pending"]) == (503, 1)
    assert (retry.status, retry.body["sent"]) == (200, 3)
    assert chat.recipients() == _active_ids(people)


def test_a_short_rate_limit_is_waited_out_within_the_same_firing(store, delivery, chat, coach, people):
    ann = people[0]
    chat.fail(ann.chat_user_id, times=1, retry_after=0.01)
    message = _once(store, coach)

    answer = _fire(delivery, message)

    assert (answer.status, answer.body["sent"]) == (200, 3)
    assert chat.attempts[ann.chat_user_id] == 2


def test_permanent_failure_is_recorded_failed_and_answered_200(store, delivery, chat, coach, people):
    ben = people[1]
    chat.fail(ben.chat_user_id, permanent=True, times=None)
    message = _once(store, coach)

    answer = _fire(delivery, message)
    store.messages.system_update(message.id, status="scheduled")  # as if a redelivery raced completion
    again = _fire(delivery, message, retried=1)

    assert answer.status == 200
    assert (answer.body["sent"], answer.body["failed"], answer.body["pending"]) == (2, 1, 0)
    assert (again.status, again.body["failed"], again.body["pending"]) == (200, 1, 0)  # not tried again
    assert chat.attempts[ben.chat_user_id] == 1
    rows, _ = store.log.page(coach.as_actor(), status="failed")
    assert [(r["client"], r["last_error"]) for r in rows] == [("Ben Birch", f"refused {ben.chat_user_id}")]
    stored = store.messages.get(coach.as_actor(), message.id)
    assert (stored.status, stored.sent_count, stored.failed_count) == ("completed", 2, 1)


@pytest.mark.usefixtures("people")
def test_unknown_message_is_489_non_retryable(store, delivery, chat, coach):
    answer = delivery.fire({"messageId": "no-such-message", "coachId": coach.id}, "msg_1", 0)

    assert (answer.status, answer.body) == (489, {"error": "unknown message"})
    assert answer.headers == NON_RETRYABLE
    assert chat.attempts == Counter()


@pytest.mark.usefixtures("people")
def test_another_coach_is_489_non_retryable_and_nothing_is_sent(store, delivery, chat, coach):
    other = factories.coach(store, "other@example.com")
    message = _once(store, coach)

    answer = _fire(delivery, message, coach_id=other.id)

    assert (answer.status, answer.body) == (489, {"error": "coach does not own this message"})
    assert answer.headers == NON_RETRYABLE
    assert chat.attempts == Counter()
    assert store.log.status_counts(coach.as_actor()) == {}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"messageId": 5, "coachId": "c"}, "body needs messageId and coachId strings"),
        ({"messageId": "m"}, "body needs messageId and coachId strings"),
        ({"messageId": "", "coachId": "c"}, "body needs messageId and coachId strings"),
    ],
)
def test_malformed_payloads_are_489(delivery, chat, payload, reason):
    answer = delivery.fire(payload, "msg_1", 0)

    assert (answer.status, answer.body, answer.headers) == (489, {"error": reason}, NON_RETRYABLE)
    assert chat.attempts == Counter()


@pytest.mark.usefixtures("people")
def test_unknown_zone_is_489(store, delivery, chat, coach):
    answer = _fire(delivery, _once(store, coach), zone="Mars/Base")

    assert (answer.status, answer.body) == (489, {"error": "unknown zone"})
    assert chat.attempts == Counter()


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize("status", ["paused", "cancelled", "completed"])
def test_paused_cancelled_or_completed_messages_answer_200_and_send_nothing(store, delivery, chat, coach, status):
    message = _once(store, coach)
    store.messages.system_update(message.id, status=status)

    answer = _fire(delivery, message)

    assert (answer.status, answer.body) == (200, {"skipped": f"message is {status}"})
    assert chat.attempts == Counter()
    assert store.log.status_counts(coach.as_actor()) == {}


@pytest.mark.usefixtures("people")
def test_an_inactive_coach_sends_nothing(store, delivery, chat, coach):
    message = _once(store, coach)
    admin = factories.account(store, "root@example.com", "Root", "admin")
    store.accounts.update(admin.as_actor(), coach.id, active=False)

    answer = _fire(delivery, message)

    assert (answer.status, answer.body) == (200, {"skipped": "coach account is inactive"})
    assert chat.attempts == Counter()


def test_a_recurring_message_ends_after_max_occurrences(store, delivery, chat, coach, people, finished):
    message = _daily(store, coach, max_occurrences=1)

    answer = _fire(delivery, message)

    assert (answer.status, answer.body["sent"]) == (200, 3)
    assert store.messages.get(coach.as_actor(), message.id).status == "completed"
    assert [m.id for m in finished] == [message.id]
    assert chat.recipients() == _active_ids(people)
