"""Stream channel and message ids that Stream accepts (DESIGN §6)."""

from __future__ import annotations

import hashlib
import re

MAX_CHANNEL_ID = 64
MAX_MESSAGE_ID = 255
MAX_TEXT = 5000
_CHANNEL_ID = re.compile(r"[a-z0-9_-]{1,64}")


def dm_channel_id(coach_chat_id: str, client_chat_id: str) -> str:
    """Deterministic 1:1 channel id: "dm-" + 40 hex chars (43 chars, no ':' or '!')."""
    # '|' cannot occur in a Stream user id, so the pair is unambiguous.
    digest = hashlib.sha256(f"{coach_chat_id}|{client_chat_id}".encode()).hexdigest()
    return "dm-" + digest[:40]


def is_valid_channel_id(channel_id: str) -> bool:
    """True when Stream accepts the id: at most 64 of a-z 0-9 _ -."""
    return bool(_CHANNEL_ID.fullmatch(channel_id))


def message_id_problem(message_id: str) -> str | None:
    """Why Stream would refuse this custom message id, or None when it is fine."""
    if not message_id:
        return "message id is empty"
    if len(message_id) > MAX_MESSAGE_ID:
        return f"message id is longer than {MAX_MESSAGE_ID} characters"
    if "," in message_id or "%" in message_id:
        return "message id contains ',' or '%'"
    return None
