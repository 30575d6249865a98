"""Stream's `message.new` webhook: X-Signature verification, and replies recorded against the right check-in.

Payloads are shaped as Stream documents them (Push Webhook, "Request format"), signed here the way Stream signs
them: the HMAC-SHA256 hex digest of the raw body, keyed by the app's API secret.
"""

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from stream_chat import StreamChat

from services.chat.channel_ids import dm_channel_id
from services.db.schema import deliveries
from services.webhook.stream_replies import STREAM_WEBHOOK_PATH
from tests import factories
from tests.harness import Product, wait_until

WRONG_SECRET = "not-the-app-secret-0123456789abcdef"


@pytest.fixture
def replies_product(db_url, tmp_path, standin):
    """The product delivering through the Stream stand-in, which posts its message.new webhooks to our route."""
    running = Product(
        db_url,
        tmp_path / "data",
        stream_api_key=standin.api_key,
        stream_api_secret=standin.api_secret,
        stream_chat_url=standin.url,
    )
    standin.webhooks.url = running.webhook_url.split("/api/")[0] + STREAM_WEBHOOK_PATH
    yield running
    standin.webhooks.stop()  # no request may still hold a database connection when the product stops
    running.stop()


def stream_event(channel_id: str, user_id: str, text: str = "Done, thanks!", at: datetime | None = None) -> dict:
    """A message.new event with the fields of Stream's documented example."""
    created = (at or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    user = {"id": user_id, "role": "user", "created_at": created, "updated_at": created, "banned": False}
    return {
        "type": "message.new",
        "cid": f"messaging:{channel_id}",
        "channel_type": "messaging",
        "channel_id": channel_id,
        "message": {
            "id": str(uuid.uuid4()),
            "text": text,
            "html": f"<p>{text}</p>\n",
            "type": "regular",
            "user": user,
            "attachments": [],
            "latest_reactions": [],
            "own_reactions": [],
            "reaction_counts": None,
            "reaction_scores": {},
            "reply_count": 0,
            "created_at": created,
            "updated_at": created,
            "mentioned_users": [],
        },
        "user": user,
        "watcher_count": 0,
        "created_at": created,
        "members": [],
    }


def signed(body: bytes, secret: str) -> str:
    """X-Signature as Stream computes it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(product, body: bytes, signature: str | None):
    """POST raw bytes to the Stream webhook route."""
    headers = {"Content-Type": "application/json", "X-Webhook-Id": str(uuid.uuid4()), "X-Webhook-Attempt": "1"}
    if signature is not None:
        headers["X-Signature"] = signature
    return product.app.test_client().post(STREAM_WEBHOOK_PATH, data=body, headers=headers)


def checked_in(product, n=2, body="How did today go, {first_name}?"):
    """A coach whose n clients were each sent one check-in (through the real fan-out)."""
    store = product.store
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(n)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach, body=body))
    answer = product.services.delivery.fire({"messageId": message.id, "coachId": coach.id}, f"qs-{message.id}", 0)
    assert (answer.status, answer.body["sent"]) == (200, n)
    return coach, people, message


def channel_of(coach, client) -> str:
    return dm_channel_id(coach.chat_user_id, client.chat_user_id)


def replies_of(product, message) -> list[dict]:
    return product.store.replies.occurrences(message.id)


def test_a_valid_signature_records_the_reply(replies_product, standin):
    """A correctly signed message.new from a client after a check-in is 200 and counts as their reply."""
    coach, people, message = checked_in(replies_product)
    body = json.dumps(stream_event(channel_of(coach, people[0]), people[0].chat_user_id)).encode()
    answer = post(replies_product, body, signed(body, standin.api_secret))
    assert answer.status_code == 200
    assert answer.get_json() == {"recorded": True, "reason": "recorded"}
    [occurrence] = replies_of(replies_product, message)
    assert (occurrence["sent"], occurrence["replied"]) == (2, 1)


@pytest.mark.parametrize(
    "tamper",
    ["forged", "body changed", "wrong secret", "missing", "uppercase hex", "gzip"],
)
def test_a_request_stream_did_not_sign_records_nothing(replies_product, standin, tamper):
    """Forged, altered, wrongly keyed, missing or malformed signatures get 401 and record nothing."""
    coach, people, message = checked_in(replies_product)
    body = json.dumps(stream_event(channel_of(coach, people[0]), people[0].chat_user_id)).encode()
    good = signed(body, standin.api_secret)
    cases = {
        "forged": (body, hashlib.sha256(b"forged").hexdigest()),
        "body changed": (body.replace(b"Done, thanks!", b"Done, thanks?"), good),
        "wrong secret": (body, signed(body, WRONG_SECRET)),
        "missing": (body, None),
        "uppercase hex": (body, good.upper()),
        # A gzipped body is refused before it is inflated (this app never enables Stream's compression).
        "gzip": (b"\x1f\x8b" + body, signed(b"\x1f\x8b" + body, standin.api_secret)),
    }
    sent_body, signature = cases[tamper]
    answer = post(replies_product, sent_body, signature)
    assert answer.status_code == 401
    assert answer.get_json() == {"error": "unauthorized"}
    assert replies_of(replies_product, message)[0]["replied"] == 0


def test_a_replayed_webhook_records_the_reply_once(replies_product, standin):
    """Stream retries webhooks, and a captured one may be replayed: the same message id is recorded once."""
    coach, people, message = checked_in(replies_product)
    body = json.dumps(stream_event(channel_of(coach, people[0]), people[0].chat_user_id)).encode()
    signature = signed(body, standin.api_secret)
    first, second = post(replies_product, body, signature), post(replies_product, body, signature)
    assert first.get_json()["recorded"] is True
    assert (second.status_code, second.get_json()) == (200, {"recorded": False, "reason": "duplicate"})
    assert replies_of(replies_product, message)[0]["replied"] == 1


@pytest.mark.parametrize("case", ["coach", "unknown user", "other channel", "before any check-in", "outside window"])
def test_messages_that_are_not_replies_are_ignored(replies_product, standin, case):
    """The coach's own messages, strangers, someone else's channel and messages outside the window count for nothing."""
    coach, people, message = checked_in(replies_product)
    ann, ben = people
    now = datetime.now(UTC)
    events = {
        "coach": stream_event(channel_of(coach, ann), coach.chat_user_id),
        "unknown user": stream_event(channel_of(coach, ann), "client-nobody"),
        "other channel": stream_event(channel_of(coach, ben), ann.chat_user_id),
        "before any check-in": stream_event(channel_of(coach, ann), ann.chat_user_id, at=now - timedelta(hours=1)),
        "outside window": stream_event(channel_of(coach, ann), ann.chat_user_id),
    }
    if case == "outside window":  # the check-in went out 49 hours ago; the window is 48
        with replies_product.engine.begin() as conn:
            conn.execute(deliveries.update().values(sent_at=now - timedelta(hours=49)))
    reasons = {
        "coach": "message from the coach",
        "unknown user": "unknown user",
        "other channel": "unknown channel",
        "before any check-in": "no check-in to reply to",
        "outside window": "no check-in to reply to",
    }
    body = json.dumps(events[case]).encode()
    answer = post(replies_product, body, signed(body, standin.api_secret))
    assert (answer.status_code, answer.get_json()) == (200, {"recorded": False, "reason": reasons[case]})
    assert replies_of(replies_product, message)[0]["replied"] == 0


def test_a_reply_counts_for_the_latest_check_in(replies_product, standin):
    """Two check-ins, then a reply: it answers the second, and only the first reply to it counts."""
    coach, people, first = checked_in(replies_product, n=1)
    store = replies_product.store
    second = store.messages.insert(coach.as_actor(), factories.once_values(store, coach, body="And now?"))
    replies_product.services.delivery.fire({"messageId": second.id, "coachId": coach.id}, "qs-second", 0)
    for text in ("Yes!", "Also this"):
        body = json.dumps(stream_event(channel_of(coach, people[0]), people[0].chat_user_id, text)).encode()
        post(replies_product, body, signed(body, standin.api_secret))
    assert replies_of(replies_product, first)[0]["replied"] == 0
    assert replies_of(replies_product, second)[0]["replied"] == 1


def test_a_client_posting_in_stream_is_recorded_through_the_signed_webhook(replies_product, standin):
    """End to end: the stand-in posts a signed message.new for every new message; the client's counts, the
    coach's check-ins (also posted) do not."""
    coach, people, message = checked_in(replies_product)
    sdk = StreamChat(standin.api_key, standin.api_secret, base_url=standin.url)
    channel = sdk.channel("messaging", channel_of(coach, people[1]))
    channel.send_message({"text": "All done"}, user_id=people[1].chat_user_id)
    wait_until(lambda: replies_of(replies_product, message)[0]["replied"] == 1)
    posted = wait_until(lambda: len(standin.webhooks.sent()) == 3 and standin.webhooks.sent())
    assert all(p["status"] == 200 for p in posted)
    assert [json.loads(p["body"])["message"]["user"]["id"] for p in posted].count(coach.chat_user_id) == 2
    assert replies_product.services.reply_stats.not_replied(coach.as_actor(), message.id, "once")[0]["id"] == (
        people[0].id
    )
