"""The alert and dead-letter rows on every database: one open alert per condition and one sender per notice,
even with many callers at once; a dead letter recorded once, failing only what was still pending."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from services.domain import Actor
from services.store.dead_letters import DeadLetter
from tests import factories

SUPPORT = Actor("support-test", "support")


def test_a_condition_opens_once_and_resolves_once(store, clock):
    """Open twice: one alert. Resolve twice: one resolution. Holding again later opens a new alert."""
    assert store.alerts.open("drift", "first") is True
    assert store.alerts.open("drift", "second") is False
    assert [(a.condition, a.detail) for a in store.alerts.open_alerts()] == [("drift", "first")]
    clock.advance(minutes=5)
    assert store.alerts.resolve("drift") is True
    assert store.alerts.resolve("drift") is False
    assert store.alerts.open_alerts() == []
    assert store.alerts.open("drift", "again") is True
    assert [a.resolved_at for a in store.alerts.history()] == [None, clock.now]


def test_many_checkers_opening_at_once_open_one_alert(store):
    """Eight callers open the same condition at the same moment: exactly one of them opened it."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        opened = list(pool.map(lambda n: store.alerts.open("failure_rate", f"checker {n}"), range(8)))
    assert opened.count(True) == 1
    assert len(store.alerts.open_alerts()) == 1


def test_each_owed_notice_goes_to_exactly_one_sender(store):
    """The opened notice, then the resolved one: each is taken by one of many callers; a refused one is owed again."""
    store.alerts.open("lateness", "late")
    (owed,) = store.alerts.owed()
    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda _: store.alerts.take_notice(owed), range(8)))
    assert taken.count(True) == 1
    assert store.alerts.owed() == []
    store.alerts.give_back_notice(owed)  # the receiver refused it
    assert [a.notice_due for a in store.alerts.owed()] == ["opened"]
    store.alerts.resolve("lateness")
    assert [a.notice_due for a in store.alerts.owed()] == ["resolved"]


def _pending_and_sent(store):
    """A one-time message with two clients pending and one sent."""
    coach = factories.coach(store)
    people = factories.clients(store, coach, [("Ann", "UTC", []), ("Ben", "UTC", []), ("Cy", "UTC", [])])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    run_id = store.deliveries.start_run(message.id, coach.id, "msg_dead", 3, "once", "UTC")
    claim = ("msg_dead", 3, run_id, timedelta(minutes=1))
    claimed = store.deliveries.claim_batch(message.id, coach.id, "once", [p.id for p in people], claim)
    sent_id = claimed[0][0]
    store.deliveries.record_outcomes([(sent_id, "chat-1")], [(d, "Stream 500", False) for d, _ in claimed[1:]])
    return message, people, sent_id


def test_a_dead_letter_fails_only_pending_rows_and_is_recorded_once(store):
    """The failure callback's reason lands on the still-pending rows and the run; a repeat changes nothing."""
    message, _people, sent_id = _pending_and_sent(store)
    letter = DeadLetter("msg_dead", "dlq-1", message.id, "once", "QStash gave up after 3 retries: HTTP 503")
    assert store.dead_letters.record(letter) is True
    rows = {r["id"]: r for r in store.log.page(SUPPORT, limit=10)[0]}
    assert rows.pop(sent_id)["status"] == "sent"
    assert {(r["status"], r["last_error"]) for r in rows.values()} == {("failed", letter.reason)}
    assert [r["outcome"] for r in store.log.runs(SUPPORT, message_id=message.id)] == ["dead_letter"]
    assert store.dead_letters.record(DeadLetter("msg_dead", "dlq-1", message.id, "once", "again")) is False
    assert [d.reason for d in store.dead_letters.recent()] == [letter.reason]


def test_a_chunks_dead_letter_fails_only_its_own_clients(store):
    """A chunk names its clients: the other recipients' pending rows wait for their own chunk."""
    message, _people, _sent_id = _pending_and_sent(store)
    pending = sorted(r["client_id"] for r in store.log.page(SUPPORT, limit=10)[0] if r["status"] == "pending")
    assert store.dead_letters.record(DeadLetter("msg_chunk", None, message.id, "once", "gave up", pending[:1]))
    statuses = {r["client_id"]: r["status"] for r in store.log.page(SUPPORT, limit=10)[0]}
    assert [statuses[c] for c in pending] == ["failed", "pending"]
