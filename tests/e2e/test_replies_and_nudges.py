"""The issue's story on the embedded stack: a check-in to 5 clients, 2 reply in the inbox, and the nudge fires
after its delay (3 s here instead of hours) to exactly the 3 others, once — even when QStash delivers it again."""

import threading
from datetime import UTC, datetime, timedelta

from services.domain import FollowUp
from services.qstash.port import NUDGE_SUFFIX, WEBHOOK_PATH
from tests import factories
from tests.harness import wait_until

NAMES = ["Ann Apple", "Ben Birch", "Cy Cedar", "Di Dogwood", "Ed Elm"]


class LoseFirstAnswer:
    """A network that loses the webhook's first answer on one path: the request is handled in full, but QStash
    sees a 503 and delivers the same message again (same Upstash-Message-Id, Upstash-Retried 1)."""

    def __init__(self, path: str):
        self.path = path
        self.seen: list[tuple[str | None, str | None, str]] = []  # (message id, retried, status answered)
        self._lock = threading.Lock()

    def __call__(self, app):
        def wsgi(environ, start_response):
            if environ["PATH_INFO"] != self.path:
                return app(environ, start_response)
            captured = {}

            def capture(status, headers, exc_info=None):
                captured.update(status=status, headers=headers)
                return lambda data: None

            body = b"".join(app(environ, capture))
            with self._lock:
                lose = not self.seen
                self.seen.append(
                    (environ.get("HTTP_UPSTASH_MESSAGE_ID"), environ.get("HTTP_UPSTASH_RETRIED"), captured["status"])
                )
            if lose:
                body = b'{"error": "answer lost"}'
                captured = {"status": "503 SERVICE UNAVAILABLE", "headers": [("Content-Type", "application/json")]}
            start_response(captured["status"], captured["headers"])
            return [body]

        return wsgi


def nudges_in_inbox(product, coach) -> list[dict]:
    """The follow-ups that reached the local inbox."""
    return [m for m in product.store.inbox.list(coach.as_actor(), limit=500) if m["id"].startswith("nudge-")]


def test_the_nudge_goes_once_to_exactly_the_clients_who_did_not_reply(product):
    """Check-in to 5, 2 reply through the inbox, the nudge reaches the other 3 once despite a lost answer and a
    second publish of the same nudge."""
    network = LoseFirstAnswer(WEBHOOK_PATH + NUDGE_SUFFIX)
    product.intercept(network)
    store, services = product.store, product.services
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(name, "UTC", []) for name in NAMES])
    actor = coach.as_actor()
    values = factories.once_values(store, coach, body="How did today go, {first_name}?", minutes=0)
    values["send_at"] = datetime.now(UTC) + timedelta(seconds=1)
    values["follow_up"] = FollowUp(3, "Still with us, {first_name}? A word is enough.")
    message = services.schedules.repair(actor, store.messages.insert(actor, values).id)

    wait_until(lambda: len(store.inbox.list(actor)) == 5, timeout=20)
    for client in people[:2]:
        assert services.inbox.reply_as(actor, client.id, f"All done, {client.first_name} here").recorded

    replies = store.replies.occurrences(message.id)
    assert (replies[0]["sent"], replies[0]["replied"]) == (5, 2)
    wait_until(lambda: services.nudges.for_message(actor, message.id)[0]["status"] == "sent", timeout=30)
    [nudge] = services.nudges.for_message(actor, message.id)
    wait_until(lambda: len(network.seen) == 2, timeout=30)  # QStash's retry after the lost answer

    received = nudges_in_inbox(product, coach)
    assert sorted(m["client"] for m in received) == NAMES[2:]
    expected = [f"Still with us, {name.split()[0]}? A word is enough." for name in NAMES[2:]]
    assert sorted(m["text"] for m in received) == expected
    [(first_id, first_try, _), (again_id, retry, answered)] = network.seen
    assert (again_id, first_try, retry, answered) == (first_id, "0", "1", "200 OK")
    assert first_id == nudge["qstash_message_id"]

    # A second QStash message for the same nudge (a duplicate publish) finds it sent and sends nothing.
    body = {"nudgeId": nudge["id"], "coachId": coach.id}
    services.scheduler.publish_nudge(body, int(datetime.now(UTC).timestamp()), "another-publish")
    wait_until(lambda: len(network.seen) == 3, timeout=30)
    assert network.seen[2][2] == "200 OK"
    assert len(nudges_in_inbox(product, coach)) == 3
    [row] = services.nudges.for_message(actor, message.id)
    assert (row["sent"], row["skipped"], row["pending"]) == (3, 0, 0)
