"""Reply statistics per occurrence on SQLite and PostgreSQL: rate, median time to reply, who has not replied."""

from datetime import timedelta

from services.chat.channel_ids import dm_channel_id
from services.inbox import message_new_event
from services.replies import ReplyService
from tests import factories


def occurrence(store, clock, message, people, slot):
    """Send one occurrence of the message to these clients now (rows claimed and recorded as the fan-out does)."""
    run = store.deliveries.start_run(message.id, message.coach_id, f"qs-{slot}", 0, slot, "UTC")
    claimed = store.deliveries.claim_batch(
        message.id, message.coach_id, slot, [c.id for c in people], (f"qs-{slot}", 0, run, timedelta(minutes=1))
    )
    store.deliveries.record_outcomes([(delivery_id, f"chat-{delivery_id}") for delivery_id, _ in claimed], [])


def reply(replies, coach, client, clock, text="ok"):
    """The client writes in their channel now."""
    channel = dm_channel_id(coach.chat_user_id, client.chat_user_id)
    event = message_new_event(
        channel, f"m-{client.id}-{clock().timestamp()}", {"id": client.chat_user_id}, text, clock()
    )
    return replies.receive(event)


def setup(store, n):
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(n)])
    message = store.messages.insert(
        coach.as_actor(), factories.once_values(store, coach, kind="daily", cron="0 9 * * *", send_at=None)
    )
    return coach, people, message


def test_rate_median_and_who_has_not_replied_per_occurrence(store, clock):
    """Two occurrences: replies after 60, 120 and 600 s (median 120) then after 30 and 90 s (median 60)."""
    coach, people, message = setup(store, 4)
    replies = ReplyService(store, clock, timedelta(hours=48))
    occurrence(store, clock, message, people, "2027-01-15T09:00")
    for who, seconds in ((0, 60), (1, 60), (2, 480)):  # 60, 120, 600 s after the send
        clock.advance(seconds=seconds)
        assert reply(replies, coach, people[who], clock).recorded
    clock.advance(days=1)
    occurrence(store, clock, message, people, "2027-01-16T09:00")
    for who, seconds in ((3, 30), (0, 60)):  # 30 and 90 s
        clock.advance(seconds=seconds)
        assert reply(replies, coach, people[who], clock).recorded
    latest, earlier = store.replies.occurrences(message.id)
    assert (latest["slot"], latest["sent"], latest["replied"], latest["rate"]) == ("2027-01-16T09:00", 4, 2, 0.5)
    assert latest["median_seconds"] == 60
    assert (earlier["sent"], earlier["replied"], earlier["rate"], earlier["median_seconds"]) == (4, 3, 0.75, 120)
    waiting = store.replies.not_replied(message.id, "2027-01-15T09:00")
    assert [c["name"] for c in waiting] == ["Client 3"]
    assert [c["name"] for c in store.replies.not_replied(message.id, "2027-01-16T09:00")] == ["Client 1", "Client 2"]


def test_an_occurrence_nobody_answered_has_no_median(store, clock):
    """No replies: rate 0 and no median (not zero seconds)."""
    _, people, message = setup(store, 2)
    occurrence(store, clock, message, people, "2027-01-15T09:00")
    [row] = store.replies.occurrences(message.id)
    assert (row["sent"], row["replied"], row["rate"], row["median_seconds"]) == (2, 0, 0.0, None)


def test_a_reply_to_an_older_check_in_counts_for_the_newest_within_the_window(store, clock):
    """The reply counts for the latest delivery to that client in that channel, within the window only."""
    coach, people, message = setup(store, 1)
    replies = ReplyService(store, clock, timedelta(hours=2))
    occurrence(store, clock, message, people, "2027-01-15T09:00")
    clock.advance(hours=3)
    assert reply(replies, coach, people[0], clock).reason == "no check-in to reply to"
    occurrence(store, clock, message, people, "2027-01-15T12:00")
    clock.advance(minutes=5)
    assert reply(replies, coach, people[0], clock).recorded
    assert [(r["slot"], r["replied"]) for r in store.replies.occurrences(message.id)] == [
        ("2027-01-15T12:00", 1),
        ("2027-01-15T09:00", 0),
    ]
