"""Stream's webhook signature: `X-Signature` is the HMAC-SHA256 hex of the raw body keyed by the API secret."""

from __future__ import annotations

from stream_chat.base.exceptions import InvalidWebhookError
from stream_chat.webhook import GZIP_MAGIC, parse_event, verify_signature


def verified_event(raw_body: bytes, signature: str | None, api_secret: str | None) -> dict | None:
    """The event when the signature verifies (the SDK's constant-time check), else None.

    Gzipped bodies are refused rather than inflated before the check: this app never turns Stream's webhook
    compression on, and inflating an unauthenticated body is work an attacker could ask for at no cost.
    """
    if not signature or not api_secret or raw_body[:2] == GZIP_MAGIC:
        return None
    if not verify_signature(raw_body, signature, api_secret):
        return None
    try:
        event = parse_event(raw_body)
    except (InvalidWebhookError, RecursionError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) else None
