"""The chat port: what the delivery service needs from a chat provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ChatUser:
    id: str  # chat user id (Stream user id), e.g. "coach-<uuid>" / "client-<uuid>"
    name: str


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str  # deterministic per (message, slot, client); <=255 chars, no ',' or '%'
    coach: ChatUser
    client: ChatUser
    text: str


@dataclass(frozen=True)
class SendResult:
    chat_message_id: str
    already_delivered: bool = False  # True when the provider said the id already exists


class ChatError(Exception):
    """Base class."""


class TransientChatError(ChatError):  # 429, 408, 5xx, network: retry later
    """A failure worth retrying later; retry_after is in seconds when the provider said."""

    def __init__(self, message: str, retry_after: float | None = None, rate_limited: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited  # the provider answered 429 (counted apart from other failures)


class PermanentChatError(ChatError):  # other 4xx: never retried
    """A failure that will not go away by retrying."""


class ChatGateway(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> SendResult: ...

    def prepare_users(self, users: list[ChatUser]) -> None:
        """Optional batch work before a fan-out (e.g. upserting users); may do nothing."""
