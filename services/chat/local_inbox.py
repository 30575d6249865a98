"""The embedded chat gateway: delivers into the local inbox table, idempotent on the message id like Stream."""

from __future__ import annotations

from services.chat.channel_ids import MAX_TEXT, dm_channel_id
from services.chat.port import ChatError, OutgoingMessage, PermanentChatError, SendResult
from services.store.inbox import InboxRepository


class LocalInboxGateway:
    """Chat gateway for offline use and demos; the Inbox page shows what it received."""

    name = "local inbox"

    def __init__(self, inbox: InboxRepository):
        self.inbox = inbox

    def ping(self) -> None:
        """The inbox is a table: reading one row is its health check."""
        self.inbox.latest_id()

    def prepare_users(self, users) -> None:
        """The inbox needs no users set up."""

    def send(self, message: OutgoingMessage) -> SendResult:
        """Store the message once; a second send of the same id reports it as already delivered."""
        _check(message)
        created = self.inbox.deliver(
            message.message_id,
            dm_channel_id(message.coach.id, message.client.id),
            message.coach.id,
            message.client.id,
            message.text,
        )
        return SendResult(chat_message_id=message.message_id, already_delivered=not created)

    def send_batch(self, messages: list[OutgoingMessage]) -> list[SendResult | ChatError]:
        """Store many messages with one statement; each result lines up with its message."""
        refused: dict[int, ChatError] = {}
        for i, message in enumerate(messages):
            try:
                _check(message)
            except PermanentChatError as exc:
                refused[i] = exc
        rows = [
            (m.message_id, dm_channel_id(m.coach.id, m.client.id), m.coach.id, m.client.id, m.text)
            for i, m in enumerate(messages)
            if i not in refused
        ]
        created = self.inbox.deliver_many(rows)
        return [
            refused.get(i) or SendResult(chat_message_id=m.message_id, already_delivered=m.message_id not in created)
            for i, m in enumerate(messages)
        ]


def _check(message: OutgoingMessage) -> None:
    """Refuse text over the chat limit, as Stream does."""
    if len(message.text) > MAX_TEXT:
        raise PermanentChatError(f"Message is {len(message.text)} characters; the chat limit is {MAX_TEXT}.")
