"""Chat gateway for Stream Chat, through the official stream-chat SDK."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from services.chat.channel_ids import MAX_TEXT, dm_channel_id, message_id_problem
from services.chat.port import (
    ChatUser,
    OutgoingMessage,
    PermanentChatError,
    SendResult,
    TransientChatError,
)

CHANNEL_TYPE = "messaging"
UPSERT_BATCH = 100  # Stream's upsert accepts up to 100 users per call
_DUPLICATE_CODE = 4  # Stream "Input Error"; a resent custom id says "... already exists"


class _StreamClient(StreamChat):
    """The SDK client, keeping the response headers on errors (the SDK drops them)."""

    def _parse_response(self, response: requests.Response) -> Any:
        try:
            return super()._parse_response(response)
        except StreamAPIException as exc:
            exc.headers = CaseInsensitiveDict(response.headers)  # for X-RateLimit-Reset
            raise


class _Once:
    """Runs an action once per key across threads; a failed action may run again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: set = set()
        self._key_locks: dict = {}

    def ensure(self, key: Any, action: Callable[[], Any]) -> None:
        """Run action unless it already succeeded for key; concurrent callers wait."""
        with self._lock:
            if key in self._done:
                return
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._done:
                    return
            action()
            with self._lock:
                self._done.add(key)
                self._key_locks.pop(key, None)

    def done(self, key: Any) -> bool:
        """True when the action already succeeded for key."""
        with self._lock:
            return key in self._done

    def mark_done(self, keys: list) -> None:
        """Record keys whose action succeeded elsewhere (a batch)."""
        with self._lock:
            self._done.update(keys)

    def forget(self, key: Any) -> None:
        """Make the next ensure(key) run its action again."""
        with self._lock:
            self._done.discard(key)


class StreamChatGateway:
    """Delivers each message into the coach's 1:1 channel with the client."""

    name = "stream"

    def __init__(self, api_key: str, api_secret: str, base_url: str | None = None, timeout: float = 6.0) -> None:
        self._options = {"api_key": api_key, "api_secret": api_secret, "timeout": timeout}
        if base_url:
            self._options["base_url"] = base_url
        self._secrets = [s for s in (api_secret,) if s]
        # requests.Session is not documented as thread-safe: one SDK client per thread.
        self._local = threading.local()
        self._clients: list[_StreamClient] = []
        self._clients_lock = threading.Lock()
        self._users = _Once()
        self._channels = _Once()

    def send(self, message: OutgoingMessage) -> SendResult:
        """Upsert both users, get-or-create the channel, send under the message's own id."""
        _check(message)
        channel_id = dm_channel_id(message.coach.id, message.client.id)
        try:
            self._prepare(channel_id, message)
            channel = self._client().channel(CHANNEL_TYPE, channel_id)
            payload = {"id": message.message_id, "text": message.text}
            response = _send(channel, payload, message.coach.id)
        except StreamAPIException as exc:
            if exc.status_code != 429 and 400 <= exc.status_code < 500:
                self._channels.forget(channel_id)  # maybe deleted meanwhile: recreate next time
            raise self._translate(exc) from None
        except requests.RequestException as exc:
            raise TransientChatError(self._scrub(f"Stream Chat unreachable: {exc}")) from None
        except _AlreadyDelivered:
            return SendResult(chat_message_id=message.message_id, already_delivered=True)
        return SendResult(chat_message_id=response["message"]["id"])

    def ping(self) -> None:
        """Read the app's settings (a health check); raises ChatError when Stream does not answer well."""
        try:
            self._client().get_app_settings()
        except StreamAPIException as exc:
            raise self._translate(exc) from None
        except requests.RequestException as exc:
            raise TransientChatError(self._scrub(f"Stream Chat unreachable: {exc}")) from None

    def prepare_users(self, users: list[ChatUser]) -> None:
        """Upsert many users in batches of 100 before a fan-out, so each send needs fewer calls."""
        fresh = list({(u.id, u.name): u for u in users if not self._users.done((u.id, u.name))}.values())
        for start in range(0, len(fresh), UPSERT_BATCH):
            batch = fresh[start : start + UPSERT_BATCH]
            try:
                self._client().upsert_users([{"id": u.id, "name": u.name} for u in batch])
            except (StreamAPIException, requests.RequestException):
                return  # each send upserts its own users again, and reports the error there
            self._users.mark_done([(u.id, u.name) for u in batch])

    def _prepare(self, channel_id: str, message: OutgoingMessage) -> None:
        """Make sure both users and the channel exist, once per process."""
        for user in (message.coach, message.client):
            self._users.ensure((user.id, user.name), lambda u=user: self._upsert(u))
        self._channels.ensure(channel_id, lambda: self._create(channel_id, message))

    def close(self) -> None:
        """Close the HTTP sessions of every per-thread client."""
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.session.close()

    def _client(self) -> _StreamClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = _StreamClient(**self._options)
            # Proxies are resolved once here instead of on every request (that look-up cost ~2 ms a call).
            proxies = requests.utils.get_environ_proxies(client.base_url)
            client.session.trust_env = False
            client.session.proxies.update(proxies)
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _upsert(self, user: ChatUser) -> None:
        self._client().upsert_users([{"id": user.id, "name": user.name}])

    def _create(self, channel_id: str, message: OutgoingMessage) -> None:
        members = list(dict.fromkeys([message.coach.id, message.client.id]))  # one member: a coach's own channel
        channel = self._client().channel(CHANNEL_TYPE, channel_id, {"members": members})
        channel.create(message.coach.id)  # get-or-create

    def _translate(self, exc: StreamAPIException) -> Exception:
        status = exc.status_code
        code = getattr(exc, "error_code", None)
        detail = getattr(exc, "error_message", None) or f"HTTP {status}"
        text = self._scrub(f"Stream Chat error (HTTP {status}, code {code}): {detail}")
        if status == 429:
            return TransientChatError(text, retry_after=_retry_after(exc), rate_limited=True)
        if status == 408 or status >= 500:
            return TransientChatError(text)
        return PermanentChatError(text)

    def _scrub(self, text: str) -> str:
        secrets = self._secrets + [c.auth_token for c in list(self._clients)]
        for secret in secrets:
            text = text.replace(secret, "***")
        return text


class _AlreadyDelivered(Exception):
    """Stream refused the custom id as a duplicate: an earlier attempt got through."""


def _send(channel: Any, payload: dict, user_id: str) -> Any:
    try:
        return channel.send_message(payload, user_id=user_id)
    except StreamAPIException as exc:
        if _is_duplicate(exc):
            raise _AlreadyDelivered() from None
        raise


def _check(message: OutgoingMessage) -> None:
    problem = message_id_problem(message.message_id)
    if problem:
        raise PermanentChatError(problem)
    if not message.text.strip():
        raise PermanentChatError("message text is empty")
    if len(message.text) > MAX_TEXT:
        raise PermanentChatError(f"message text is longer than {MAX_TEXT} characters")


def _is_duplicate(exc: StreamAPIException) -> bool:
    message = str(getattr(exc, "error_message", ""))
    return (
        exc.status_code == 400 and getattr(exc, "error_code", None) == _DUPLICATE_CODE and "already exists" in message
    )


def _retry_after(exc: StreamAPIException) -> float | None:
    reset = getattr(exc, "headers", {}).get("x-ratelimit-reset")
    try:
        # The SDK's StreamResponse also tolerates a repeated header ("1598806800, 1598806800").
        value = float(next(v for v in (p.strip() for p in str(reset).split(",")) if v))
    except (StopIteration, ValueError):
        return None
    return max(0.0, value - time.time())
