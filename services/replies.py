"""Replies: a client's `message.new` event (from Stream's webhook or the local inbox) recorded against the
latest check-in that client got in that channel, once per chat message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.chat.channel_ids import dm_channel_id
from services.store import Store
from services.store.base import Clock
from services.store.replies import Sender

IGNORED_TYPES = ("system", "deleted", "error", "ephemeral")  # Stream message types that are not a client writing


@dataclass(frozen=True)
class Incoming:
    """The parts of a `message.new` event a reply needs."""

    message_id: str
    user_id: str
    channel_id: str
    created_at: datetime | None


def read_event(event: dict) -> Incoming | str:
    """The message an event carries, or why it is not one this app records."""
    if event.get("type") != "message.new":
        return "not a new message"
    message = event.get("message")
    if not isinstance(message, dict) or message.get("type") in IGNORED_TYPES:
        return "not a client's message"
    user = message.get("user") if isinstance(message.get("user"), dict) else event.get("user")
    message_id = message.get("id")
    user_id = user.get("id") if isinstance(user, dict) else None
    channel_id = event.get("channel_id") or str(event.get("cid") or "").partition(":")[2]
    for value in (message_id, user_id, channel_id):
        if not isinstance(value, str) or not value or len(value) > 255 or not value.isprintable():
            return "malformed message"
    return Incoming(message_id, user_id, channel_id, _time(message.get("created_at") or event.get("created_at")))


def _time(value) -> datetime | None:
    """An ISO 8601 time from the event (Stream writes UTC with a Z), or None."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(tzinfo=at.tzinfo or UTC).astimezone(UTC)


@dataclass(frozen=True)
class ReplyOutcome:
    """What became of an event: recorded, or ignored and why."""

    recorded: bool
    reason: str


class ReplyService:
    """The one path a reply takes, whoever delivers the event."""

    def __init__(self, store: Store, clock: Clock, window: timedelta):
        self.store = store
        self.clock = clock
        self.window = window  # a reply counts for a delivery sent at most this long before it

    def receive(self, event: dict) -> ReplyOutcome:
        """Record the event's message as a reply when a client wrote it in their channel after a check-in."""
        incoming = read_event(event)
        if isinstance(incoming, str):
            return ReplyOutcome(False, incoming)
        sender = self._client_in_own_channel(incoming)
        if isinstance(sender, str):
            return ReplyOutcome(False, sender)
        now = self.clock()
        # The event's own time, but never a future one: a skewed clock must not make a reply look slower.
        replied_at = min(incoming.created_at or now, now)
        answered = self.store.replies.latest_delivery(sender.client_id, sender.coach_id, replied_at, self.window)
        if answered is None:
            return ReplyOutcome(False, "no check-in to reply to")
        if not self.store.replies.record(incoming.message_id, answered, sender, replied_at):
            return ReplyOutcome(False, "duplicate")
        return ReplyOutcome(True, "recorded")

    def _client_in_own_channel(self, incoming: Incoming) -> Sender | str:
        """The client who wrote, when it is a client writing in their channel with their coach; else why not."""
        if self.store.replies.is_coach(incoming.user_id):
            return "message from the coach"
        sender = self.store.replies.sender(incoming.user_id)
        if sender is None:
            return "unknown user"
        if incoming.channel_id != dm_channel_id(sender.coach_chat_id, sender.client_chat_id):
            return "unknown channel"
        return sender
