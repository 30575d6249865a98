"""The stand-in's outbound webhook: a signed `message.new` POST to a configured URL for every new message, as
Stream sends it (X-Signature = HMAC-SHA256 hex of the raw body keyed by the API secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid

import httpx


class WebhookSender:
    """Posts events in the background and keeps what was sent and answered, for tests to read or send again."""

    def __init__(self, api_key: str, api_secret: str, url: str | None = None):
        self.api_key, self.api_secret, self.url = api_key, api_secret, url
        self._lock = threading.Lock()
        self._sent: list[dict] = []  # {"body": bytes, "headers": dict, "status": int | None}
        self._threads: list[threading.Thread] = []

    def message_new(self, channel_type: str, channel_id: str, message: dict) -> None:
        """Send the `message.new` event of a stored message (in a thread: Stream does not hold the API call)."""
        if not self.url:
            return
        event = {
            "type": "message.new",
            "cid": f"{channel_type}:{channel_id}",
            "channel_type": channel_type,
            "channel_id": channel_id,
            "message": message,
            "user": message["user"],
            "watcher_count": 0,
            "created_at": message["created_at"],
        }
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Signature": hmac.new(self.api_secret.encode(), body, hashlib.sha256).hexdigest(),
            "X-Webhook-Id": str(uuid.uuid4()),
            "X-Webhook-Attempt": "1",
            "X-Api-Key": self.api_key,
        }
        thread = threading.Thread(target=self.post, args=(body, headers), daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def post(self, body: bytes, headers: dict) -> int | None:
        """POST one event (also a test's resend of a recorded one) and record the answer's status."""
        try:
            status = httpx.post(self.url, content=body, headers=headers, timeout=10).status_code
        except httpx.HTTPError:
            status = None
        with self._lock:
            self._sent.append({"body": body, "headers": dict(headers), "status": status})
        return status

    def stop(self, timeout: float = 30.0) -> None:
        """Post nothing more and wait for the posts under way (before the receiver shuts down)."""
        self.url = None
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)

    def sent(self) -> list[dict]:
        """Every event posted so far, with the status it was answered."""
        with self._lock:
            return [dict(s) for s in self._sent]
