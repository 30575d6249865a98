"""Quiet hours end to end on the embedded stack: the local QStash holds the held group until the quiet hours end,
then delivers it to the chunk endpoint, and the client gets the message once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.send_rules import SendRules
from tests import factories
from tests.waits import wait_until


def _quiet_now(now: datetime) -> SendRules:
    """Quiet hours (UTC wall clock) that started a while ago and end at the next minute, at least 5 s away."""
    end = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if end - now < timedelta(seconds=5):
        end += timedelta(minutes=1)
    return SendRules((now - timedelta(hours=1)).time().replace(second=0, microsecond=0), end.time())


def test_a_held_send_is_delivered_by_qstash_when_quiet_hours_end_and_only_once(product):
    store = product.store
    coach = factories.coach(store)
    factories.clients(store, coach, [("Nia Night", "UTC", []), ("Dan Day", "Asia/Kolkata", [])])
    rules = _quiet_now(datetime.now(UTC))
    if rules.quiet_until("Asia/Kolkata", datetime.now(UTC)):  # 05:30 ahead: never inside this one-hour window
        raise AssertionError("the test's window reaches Kolkata")
    store.send_rules.put(coach.id, rules)
    ends = rules.quiet_until("UTC", datetime.now(UTC))
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach, body="Hi {first_name}"))
    firing = {"messageId": message.id, "coachId": coach.id}

    answer = product.services.delivery.fire(firing, "qs-firing", 0)
    again = product.services.delivery.fire(firing, "qs-firing", 1)  # QStash's retry of the firing

    assert (answer.status, answer.body["sent"], answer.body["held"]) == (200, 1, 1)
    assert (again.status, again.body["sent"], again.body["held"]) == (200, 1, 1)

    def received(name: str) -> list[dict]:
        return [m for m in store.inbox.list(coach.as_actor(), limit=50) if m["client"] == name]

    assert len(received("Dan Day")) == 1
    assert received("Nia Night") == []
    wait_until(lambda: received("Nia Night"), timeout=(ends - datetime.now(UTC)).total_seconds() + 30)
    assert datetime.now(UTC) >= ends  # not before the quiet hours ended
    assert [m["text"] for m in received("Nia Night")] == ["Hi Nia"]
    wait_until(lambda: store.messages.get(coach.as_actor(), message.id).status == "completed")
    assert len(received("Nia Night")) == 1
