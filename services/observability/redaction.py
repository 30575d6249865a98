"""The logs' safety net: values that must never be written are replaced before a line is rendered."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MARKER = "[redacted]"
# Fields whose value is a credential or user text by name; ids (message_id, schedule_id, …) never match.
SENSITIVE_KEY = re.compile(
    r"token|secret|passw|signature|authori[sz]ation|api_?key|signing|cookie|credential|^body$|^text$", re.I
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[^\s'\",]+", re.I)
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]+")  # a JWT (QStash's signature, Stream's tokens)
MIN_SECRET = 8  # shorter "secrets" would redact ordinary words


class Redactor:
    """A structlog processor: sensitive fields blanked, known secret values and credential shapes scrubbed."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Remember more secret values (the configured keys, once they are known)."""
        fresh = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET}
        with self._lock:
            # Longest first: a secret containing another is replaced whole.
            self._secrets = tuple(sorted(set(self._secrets) | fresh, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        """The text with every known secret and credential shape replaced by the marker."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MARKER)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MARKER}", text)
        return _JWT.sub(MARKER, text)

    def __call__(self, _logger, _method: str, event_dict: dict) -> dict:
        """Redact one event (every value, the message and a rendered traceback included)."""
        return {key: self._clean(key, value) for key, value in event_dict.items()}

    def _clean(self, key: str, value):
        if key != "event" and SENSITIVE_KEY.search(key) and value is not None:
            return MARKER
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._clean(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean("", v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.scrub(str(value))
