"""Fixtures: a fresh Stream stand-in per test and a gateway pointed at it."""

from __future__ import annotations

import pytest
from stream_chat import StreamChat

from services.chat.port import ChatUser, OutgoingMessage
from services.chat.stream_gateway import StreamChatGateway
from tests.stream_standin import StreamStandIn

COACH = ChatUser("coach-7f3c", "Coach Carla")


def client_user(n: int) -> ChatUser:
    return ChatUser(f"client-{n:04d}", f"Client {n}")


def outgoing(
    n: int, text: str = "Time for your check-in!", message_id: str | None = None, coach: ChatUser = COACH
) -> OutgoingMessage:
    """The n-th client's message, with a deterministic id like the delivery service's."""
    return OutgoingMessage(message_id or f"sm-42-20260301T0900Z-client-{n:04d}", coach, client_user(n), text)


@pytest.fixture
def standin():
    with StreamStandIn() as running:
        yield running


@pytest.fixture
def gateway(standin):
    gw = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url, timeout=5.0)
    yield gw
    gw.close()


@pytest.fixture
def sdk(standin):
    """The official SDK client, driven directly to show what the stand-in enforces."""
    client = StreamChat(api_key=standin.api_key, api_secret=standin.api_secret, base_url=standin.url)
    yield client
    client.session.close()
