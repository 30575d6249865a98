"""Nudges on the nudge route's service: exactly once per client, never to one who replied, cancellable."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from services.domain import FollowUp
from services.errors import NotFound, UserError
from services.nudges import NudgeService
from tests import factories


def checked_in(product, n=3, delay=3600):
    """A check-in with a follow-up, fanned out to n clients; its nudge is created and held by QStash."""
    store = product.store
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(n)])
    values = factories.once_values(store, coach, body="Check-in", follow_up=FollowUp(delay, "Nudge {first_name}"))
    message = store.messages.insert(coach.as_actor(), values)
    answer = product.services.delivery.fire({"messageId": message.id, "coachId": coach.id}, "qs-firing", 0)
    assert answer.status == 200
    [nudge] = product.services.nudges.for_message(coach.as_actor(), message.id)
    return coach, people, message, nudge


def nudged(product, coach) -> list[str]:
    """Client names that received a nudge in the local inbox."""
    messages = product.store.inbox.list(coach.as_actor(), limit=500)
    return sorted(m["client"] for m in messages if m["id"].startswith("nudge-"))


def fire(product, nudge, qstash_id="qs-nudge", retried=0):
    return product.services.nudges.fire({"nudgeId": nudge["id"], "coachId": nudge["coach_id"]}, qstash_id, retried)


def test_a_retried_fan_out_publishes_the_nudge_once(product):
    """QStash's retry of the firing finds the occurrence's nudge and publishes nothing new."""
    coach, _, message, nudge = checked_in(product)
    assert nudge["qstash_message_id"]
    assert nudge["status"] == "scheduled"
    again = product.services.delivery.fire({"messageId": message.id, "coachId": coach.id}, "qs-firing", 1)
    assert again.status == 200
    [same] = product.services.nudges.for_message(coach.as_actor(), message.id)
    assert (same["id"], same["qstash_message_id"]) == (nudge["id"], nudge["qstash_message_id"])
    held = product.services.scheduler.client.message.get(nudge["qstash_message_id"])
    assert held.url.endswith("/api/process-scheduled-messages/nudge")
    assert "Nudge" not in held.body  # ids only, never the text


def test_clients_who_reply_while_the_nudge_goes_out_are_not_nudged(product):
    """The reply check runs right before each send: replies landing after the first nudge went out hold the
    others back (the order of sends does not matter)."""
    coach, people, _, nudge = checked_in(product)
    inbox = product.services.inbox

    class RepliesArriveDuringFirstSend:
        """The local inbox, with every other client replying just as the first nudge goes out."""

        name = "local inbox"
        first: str | None = None

        def prepare_users(self, users):
            pass

        def send(self, outgoing):
            if self.first is None:
                self.first = outgoing.client.name
                for client in people:
                    if client.chat_user_id != outgoing.client.id:
                        assert inbox.reply_as(coach.as_actor(), client.id, "Here!").recorded
            return product.services.chat.send(outgoing)

    gateway = RepliesArriveDuringFirstSend()
    product.services.nudges.sender.chat = gateway
    answer = fire(product, nudge)
    assert (answer.status, answer.body["sent"], answer.body["held"]) == (200, 1, 2)
    assert nudged(product, coach) == [gateway.first]


def test_a_retried_nudge_sends_nothing_twice(product):
    """QStash's retry of the same nudge (or another delivery of it) finds every row sent."""
    coach, people, _, nudge = checked_in(product)
    product.services.inbox.reply_as(coach.as_actor(), people[0].id, "Done")
    first, retry, other = fire(product, nudge), fire(product, nudge, retried=1), fire(product, nudge, "qs-other")
    assert (first.status, first.body["sent"]) == (200, 2)
    assert retry.body == other.body == {"nudgeId": nudge["id"], "skipped": "nudge is sent"}
    assert nudged(product, coach) == ["Client 1", "Client 2"]


def test_concurrent_deliveries_of_one_nudge_reach_each_client_once(product):
    """Ten deliveries of the same nudge at once (different QStash message ids): one nudge per client."""
    coach, _, _, nudge = checked_in(product, n=6)
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda i: fire(product, nudge, f"qs-{i}"), range(10)))
    assert all(a.status in (200, 503) for a in answers)
    assert nudged(product, coach) == [f"Client {i}" for i in range(6)]
    assert sum(a.body.get("sent", 0) for a in answers if a.status == 200) >= 6


def test_a_cancelled_nudge_sends_nothing_and_leaves_qstash(product):
    """Cancel is recorded (and audited) first, honoured by the route, and QStash's held delivery is removed."""
    coach, _, message, nudge = checked_in(product)
    nudges = product.services.nudges
    nudges.cancel(coach.as_actor(), nudge["id"])
    assert not product.services.scheduler.message_pending(nudge["qstash_message_id"])
    answer = fire(product, nudge)
    assert answer.body == {"nudgeId": nudge["id"], "skipped": "nudge is cancelled"}
    assert nudged(product, coach) == []
    trail = product.services.schedules.audit_trail(coach.as_actor(), message.id, "UTC")
    assert trail[0]["action"] == "Nudge cancelled"
    with pytest.raises(UserError, match="already cancelled"):
        nudges.cancel(coach.as_actor(), nudge["id"])


def test_another_coach_cannot_see_or_cancel_the_nudge(product):
    """Nudges are scoped by their message, like everything a coach reads."""
    _, _, message, nudge = checked_in(product)
    other = factories.coach(product.store, email="other@example.com")
    with pytest.raises(NotFound, match="No such message"):
        product.services.nudges.cancel(other.as_actor(), nudge["id"])
    with pytest.raises(NotFound, match="No such message"):
        product.services.nudges.for_message(other.as_actor(), message.id)


@pytest.mark.parametrize("change", ["cancelled", "paused", "follow-up removed"])
def test_a_nudge_of_a_message_stopped_since_sends_nothing(product, change):
    """Cancelling or pausing the message, or removing its follow-up, stops its pending nudges."""
    coach, _, message, nudge = checked_in(product)
    store = product.store
    if change == "follow-up removed":
        store.messages.update(coach.as_actor(), message.id, {"follow_up": None})
    else:
        store.messages.system_update(message.id, status=change)
    answer = fire(product, nudge)
    reason = "follow-up removed" if change == "follow-up removed" else f"message is {change}"
    assert answer.body == {"nudgeId": nudge["id"], "skipped": reason}
    assert nudged(product, coach) == []


def test_a_foreign_or_unknown_nudge_is_refused_for_good(product):
    """A body naming an unknown nudge, or another coach, is 489 (QStash's dead-letter queue)."""
    _, _, _, nudge = checked_in(product)
    nudges: NudgeService = product.services.nudges
    for body in ({"nudgeId": "nope", "coachId": nudge["coach_id"]}, {"nudgeId": nudge["id"], "coachId": "x"}, {}):
        assert nudges.fire(body, "qs", 0).status == 489
