"""Posts alert notices to the configured alert webhook as Slack-compatible JSON ({"text": ...})."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger(__name__)


class SlackNotifier:
    """An incoming-webhook poster; without a URL it posts nothing (the dashboard banner still shows alerts)."""

    def __init__(self, url: str | None, timeout: float = 5.0):
        self._url = url  # a secret (Slack's URL carries its token): never logged or shown
        self._timeout = timeout

    @property
    def configured(self) -> bool:
        """True when ALERT_WEBHOOK_URL is set."""
        return bool(self._url)

    def post(self, text: str) -> bool:
        """Send one notice; True when the receiver took it (2xx), or when there is nowhere to send it."""
        if not self._url:
            return True
        try:
            answer = httpx.post(self._url, json={"text": text}, timeout=self._timeout)
        except httpx.HTTPError as exc:
            log.warning("alert webhook unreachable (%s); the notice is kept for the next check", type(exc).__name__)
            return False
        if not answer.is_success:
            log.warning("alert webhook answered %s; the notice is kept for the next check", answer.status_code)
        return answer.is_success
