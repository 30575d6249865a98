"""Checks shared by the forms' free-text fields."""

from __future__ import annotations

from services.errors import UserError


def required_text(value: str | None, limit: int, field: str, missing: str, what: str) -> str:
    """The trimmed text, or an error naming the field when it is empty or longer than `limit`."""
    text = (value or "").strip()
    if not text:
        raise UserError(missing, field)
    if len(text) > limit:
        raise UserError(f"The {what} is longer than {limit} characters.", field)
    return text
