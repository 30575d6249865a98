"""The Inbox page's service (embedded mode): what the local chat gateway received, per client."""

from __future__ import annotations

from services.domain import Account, Actor, Client
from services.store import Store


class InboxService:
    """Reads of the local inbox, scoped like every other read."""

    def __init__(self, store: Store):
        self.store = store

    def clients(self, actor: Actor, limit: int = 500) -> list[Client]:
        """The actor's clients, for the filter."""
        return self.store.clients.list(actor, limit=limit)

    def messages(self, actor: Actor, client_id: str | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
        """Newest messages first, with the client's name."""
        return self.store.inbox.list(actor, client_id=client_id, limit=limit, offset=offset)

    def count(self, actor: Actor, client_id: str | None = None) -> int:
        """How many messages there are (all, or one client's), for paging."""
        return self.store.inbox.count(actor, client_id=client_id)

    def own_chat(self, account: Account, limit: int = 5) -> list[dict]:
        """The newest tests the account sent to its own chat."""
        return self.store.inbox.own(account.chat_user_id, limit)
