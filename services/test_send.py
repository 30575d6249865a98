"""'Send a test to me': the personalised text for a sample client, sent now to the coach's own chat.

The coach's own channel is the 1:1 channel of the coach with themself (chat user id on both sides), in the local
inbox or on Stream. A test is recorded in test_sends (never in deliveries, so it counts nowhere as a delivery to
clients), audited, and let through at most once per cooldown per coach, however fast the clicks come.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from services import compose, templates
from services.chat.port import ChatError, ChatGateway, ChatUser, OutgoingMessage
from services.domain import Account, Client
from services.errors import UserError
from services.store import Store
from services.store.base import Clock

COOLDOWN = timedelta(seconds=20)


class TestSendService:
    """Sends and lists a coach's tests."""

    __test__ = False  # a product class, not a pytest test class

    def __init__(self, store: Store, chat: ChatGateway, clock: Clock, cooldown: timedelta = COOLDOWN):
        self.store = store
        self.chat = chat
        self.clock = clock
        self.cooldown = cooldown

    def samples(self, account: Account, request: compose.ScheduleRequest, limit: int = 200) -> list[Client]:
        """Clients to personalise the test for: the request's audience first (active only), else all clients."""
        clients = [c for c in self.store.clients.list(account.as_actor(), limit=limit) if c.active]
        if request.target == "tag":
            return [c for c in clients if request.target_tag in c.tags] or clients
        if request.target == "clients":
            chosen = set(request.client_ids)
            return [c for c in clients if c.id in chosen] or clients
        return clients

    def send(self, account: Account, request: compose.ScheduleRequest, client_id: str) -> str:
        """Send the text as `client_id` would read it to the coach's own chat; returns the chat message id."""
        if account.role != "coach":
            raise UserError("Only coaches send tests to their own chat.")
        body, title = compose.check_text(request)
        client = self.store.clients.get(account.as_actor(), client_id)  # another coach's client: not found
        text = templates.render(body, client, account.display_name)
        if len(text) > compose.MAX_BODY:
            raise UserError(f"Personalised for {client.name}, the message is {len(text):,} characters.", "body")
        last = self.store.test_sends.pass_gate(account.id, self.cooldown)
        if last is not None:
            wait = max(1, int((last + self.cooldown - self.clock()).total_seconds()) + 1)
            raise UserError(f"A test went {_ago(self.clock() - last)}: wait {wait} s before sending another.")
        test_id = self.store.test_sends.start(account.as_actor(), client.id, title, text)
        me = ChatUser(account.chat_user_id, account.display_name)
        try:
            result = self.chat.send(OutgoingMessage(f"test-{uuid.uuid4().hex}", me, me, text))
        except ChatError as exc:
            self.store.test_sends.finish(test_id, None, str(exc))
            raise UserError(f"The test could not be sent: {exc}") from None
        self.store.test_sends.finish(test_id, result.chat_message_id, None)
        return result.chat_message_id

    def recent(self, account: Account, limit: int = 5) -> list[dict]:
        """The coach's latest tests, newest first."""
        return self.store.test_sends.recent(account.as_actor(), limit)


def _ago(delta: timedelta) -> str:
    """'3 s ago'."""
    return f"{max(0, int(delta.total_seconds()))} s ago"
