"""Stream channel and message ids that Stream accepts (DESIGN §6)."""

from __future__ import annotations

import hashlib

MAX_MESSAGE_ID = 255
MAX_TEXT = 5000


def dm_channel_id(coach_chat_id: str, client_chat_id: str) -> str:
    """Deterministic 1:1 channel id: "dm-" + 40 hex chars (43 chars, no ':' or '!')."""
    # '|' cannot occur in a Stream user id, so the pair is unambiguous.
    digest = hashlib.sha256(f"{coach_chat_id}|{client_chat_id}".encode()).hexdigest()
    return "dm-" + digest[:40]


def message_id_problem(message_id: str) -> str | None:
    """Why Stream would refuse this custom message id, or None when it is fine."""
    if not message_id:
        return "message id is empty"
    if len(message_id) > MAX_MESSAGE_ID:
        return f"message id is longer than {MAX_MESSAGE_ID} characters"
    if "," in message_id or "%" in message_id:
        return "message id contains ',' or '%'"
    return None
