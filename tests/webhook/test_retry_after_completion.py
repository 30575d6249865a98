"""Support's retry still sends when the run it follows closed the occurrence after the rows were reopened."""

from datetime import timedelta

from services.chat.local_inbox import LocalInboxGateway
from services.delivery import DeliveryService
from services.pacing import Pacer
from tests import factories


def test_a_retry_of_a_slot_sends_even_if_the_message_completed_meanwhile(store, clock):
    """The rows are reopened, then the earlier run marks the message completed: the retry firing still sends."""
    coach = factories.coach(store)
    [ann, ben] = factories.clients(store, coach, [("Ann A", "UTC", []), ("Ben B", "UTC", [])])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    run = store.deliveries.start_run(message.id, coach.id, "q1", 0, "once", "UTC")
    rows = dict((c, d) for d, c in store.deliveries.claim_batch(message.id, coach.id, "once", [ann.id, ben.id],
                                                                ("q1", 0, run, timedelta(minutes=1))))  # fmt: skip
    store.deliveries.record_outcomes([(rows[ann.id], "chat-ann")], [(rows[ben.id], "refused", True)])
    store.deliveries.reopen([rows[ben.id]])  # support's retry, then the earlier run closes the occurrence late
    store.messages.system_update(message.id, status="completed")
    delivery = DeliveryService(store, LocalInboxGateway(store.inbox), Pacer(0), clock, on_finished=lambda m: None)
    payload = {"messageId": message.id, "coachId": coach.id, "zone": message.timezone, "slot": "once"}
    answer = delivery.fire(payload, "q2", 0)
    assert (answer.status, answer.body["sent"]) == (200, 2), answer.body
    assert store.messages.get(coach.as_actor(), message.id).status == "completed"
