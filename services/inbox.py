"""The Inbox page's service (embedded mode): what the local chat gateway received, per client, and replying as a
client — which goes through the same reply path as Stream's `message.new` webhook."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.chat.channel_ids import MAX_TEXT, dm_channel_id
from services.domain import Account, Actor, Client
from services.errors import UserError
from services.replies import ReplyOutcome, ReplyService
from services.store import Store
from services.store.base import Clock


def message_new_event(channel_id: str, message_id: str, user: dict, text: str, at: datetime) -> dict:
    """A `message.new` event shaped as Stream's webhook sends it (the fields this app reads, and a few more)."""
    created = at.isoformat().replace("+00:00", "Z")
    return {
        "type": "message.new",
        "cid": f"messaging:{channel_id}",
        "channel_type": "messaging",
        "channel_id": channel_id,
        "message": {
            "id": message_id,
            "text": text,
            "type": "regular",
            "user": dict(user, role="user"),
            "attachments": [],
            "created_at": created,
            "updated_at": created,
        },
        "user": dict(user, role="user"),
        "created_at": created,
    }


class InboxService:
    """Reads of the local inbox, scoped like every other read, and the client's side of the conversation."""

    def __init__(self, store: Store, replies: ReplyService, clock: Clock):
        self.store = store
        self.replies = replies
        self.clock = clock

    def clients(self, actor: Actor, limit: int = 500) -> list[Client]:
        """The actor's clients, for the filter."""
        return self.store.clients.list(actor, limit=limit)

    def messages(self, actor: Actor, client_id: str | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
        """Newest messages first, with the client's name."""
        return self.store.inbox.list(actor, client_id=client_id, limit=limit, offset=offset)

    def count(self, actor: Actor, client_id: str | None = None) -> int:
        """How many messages there are (all, or one client's), for paging."""
        return self.store.inbox.count(actor, client_id=client_id)

    def reply_as(self, actor: Actor, client_id: str, text: str) -> ReplyOutcome:
        """Write in the client's channel as the client, then hand the event to the reply path Stream's webhook uses."""
        text = (text or "").strip()
        if not text:
            raise UserError("Write the reply first.", "reply")
        if len(text) > MAX_TEXT:
            raise UserError(f"The reply is {len(text):,} characters; the chat limit is {MAX_TEXT:,}.", "reply")
        client = self.store.clients.get(actor, client_id)  # scoped: someone else's client is not found
        coach = self.store.accounts.get(client.coach_id)
        channel_id = dm_channel_id(coach.chat_user_id, client.chat_user_id)
        message_id = f"reply-{uuid.uuid4()}"
        inbox = self.store.inbox
        inbox.deliver(message_id, channel_id, coach.chat_user_id, client.chat_user_id, text, from_client=True)
        user = {"id": client.chat_user_id, "name": client.name}
        return self.replies.receive(message_new_event(channel_id, message_id, user, text, self.clock()))

    def own_chat(self, account: Account, limit: int = 5) -> list[dict]:
        """The newest tests the account sent to its own chat."""
        return self.store.inbox.own(account.chat_user_id, limit)
