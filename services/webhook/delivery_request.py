"""What a delivery request carries besides its proof: the JSON body and QStash's headers, checked strictly."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from services.delivery import Answer, permanent

# ASCII digits only: "²".isdigit() is True but int() refuses it, and 2**70 overflows the column.
_RETRIED = re.compile(r"[0-9]{1,6}")
_MESSAGE_ID = re.compile(r"[\x21-\x7e]{1,128}")  # what the claimed_by column can hold on every database


@dataclass(frozen=True)
class DeliveryRequest:
    """A well-formed delivery: the body's JSON object and QStash's message id and retry count."""

    payload: dict
    qstash_message_id: str | None
    retried: int


def read_delivery(headers: Mapping[str, str], raw: bytes) -> DeliveryRequest | Answer:
    """The request's parts, or the 489 that says which one can never be delivered."""
    payload = json_object(raw)
    if payload is None:
        return permanent("body must be a JSON object")
    retried = headers.get("Upstash-Retried")
    if retried is not None and not _RETRIED.fullmatch(retried):
        return permanent("Upstash-Retried must be a whole number from 0 to 999999")
    message_id = headers.get("Upstash-Message-Id")
    if message_id is not None and not _MESSAGE_ID.fullmatch(message_id):
        return permanent("Upstash-Message-Id must be 1 to 128 printable ASCII characters")
    return DeliveryRequest(payload, message_id, int(retried or 0))


def json_object(raw: bytes) -> dict | None:
    """Parse a JSON object, or None for anything else (deep nesting included: json raises RecursionError)."""
    try:
        value = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
