"""Stream's documented input rules and its error envelope, as the stand-in enforces them."""

from __future__ import annotations

import re

MAX_CHANNEL_ID = 64  # "max length 64 characters" (creating channels docs)
MAX_MESSAGE_ID = 255
MAX_TEXT = 5000  # default max_message_length of a channel type
MAX_USER_ID = 255
CHANNEL_ID = re.compile(r"[a-z0-9_-]+")
USER_ID = re.compile(r"[@a-zA-Z0-9_-]+")

# Stream codes (API error codes page): 4 input, 2 access key, 5 auth, 9 rate limit,
# 16 does not exist, 17 not allowed, 20 message too long, 43 token signature invalid, -1 internal.
INPUT, ACCESS_KEY, AUTH, RATE_LIMIT, NOT_FOUND, NOT_ALLOWED = 4, 2, 5, 9, 16, 17
TOO_LONG, SIGNATURE, INTERNAL = 20, 43, -1


class StreamError(Exception):
    """An API error answered as Stream's JSON envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict:
        """The JSON body Stream sends with an error."""
        return {
            "code": self.code,
            "message": self.message,
            "StatusCode": self.status,
            "duration": "0.00ms",
            "exception_fields": {},
            "more_info": "https://getstream.io/chat/docs/api_errors_response",
        }


def failed(endpoint: str, detail: str, status: int = 400, code: int = INPUT) -> StreamError:
    """Stream's wording: '<Endpoint> failed with error: "<detail>"'."""
    return StreamError(status, code, f'{endpoint} failed with error: "{detail}"')


def check_channel_id(channel_id: str) -> None:
    """Reject ids Stream refuses: ':' or '!', other characters, over 64 characters."""
    for bad in (":", "!"):
        if bad in channel_id:
            raise failed("GetOrCreateChannel", f"Invalid channel id {channel_id}, can't contain the {bad} character")
    if len(channel_id) > MAX_CHANNEL_ID:
        raise failed("GetOrCreateChannel", f"channel id {channel_id} is longer than {MAX_CHANNEL_ID} characters")
    if not CHANNEL_ID.fullmatch(channel_id):
        raise failed("GetOrCreateChannel", f"Invalid channel id {channel_id}, only a-z, 0-9, '_' and '-' are allowed")


def check_user_id(user_id: object) -> None:
    """User ids: non-empty, at most 255 of letters, digits, '@', '_' and '-'."""
    if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id) or len(user_id) > MAX_USER_ID:
        raise failed(
            "UpdateUsers",
            f"user id {user_id!r} is invalid: only letters, digits and @ _ - are allowed, max {MAX_USER_ID} characters",
        )


def check_message(message: dict) -> None:
    """A custom id must be <= 255 chars without ',' or '%'; text <= 5,000 chars."""
    message_id = message.get("id")
    if message_id is not None:
        if not isinstance(message_id, str) or not message_id or len(message_id) > MAX_MESSAGE_ID:
            raise failed("SendMessage", f"message.id must be 1 to {MAX_MESSAGE_ID} characters")
        if "," in message_id or "%" in message_id:
            raise failed("SendMessage", "message.id cannot contain ',' or '%'")
    text = message.get("text") or ""
    if not isinstance(text, str):
        raise failed("SendMessage", "message.text must be a string")
    if len(text) > MAX_TEXT:
        raise failed("SendMessage", f"message is too long ({len(text)} > {MAX_TEXT})", code=TOO_LONG)
    if not text.strip() and not message.get("attachments"):
        raise failed("SendMessage", "message text or attachments are required")
