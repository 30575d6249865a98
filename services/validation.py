"""Field rules for everything people type: each field is checked by exactly one function here.

The services call these once, before anything is written; the store only keeps integrity (constraints).
Every failure is a UserError naming the field, with a message fit to show next to it.
"""

from __future__ import annotations

import re

from services import recurrence
from services.domain import ROLES
from services.errors import UserError

MAX_EMAIL = 254
MAX_PERSON_NAME = 120
MAX_TAG = 40
MIN_PASSWORD = 10
MAX_PASSWORD_BYTES = 1024  # refused before hashing: argon2 over megabytes is a cheap denial of service
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_TAG = re.compile(r"[A-Za-z0-9_-]+")


def email(value: str | None) -> str:
    """A lower-case address of the form name@domain.tld."""
    address = normalised_email(value)
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise UserError("Enter a valid email address, e.g. name@example.com.", "email")
    return address


def normalised_email(value: str | None) -> str:
    """The form in which emails are stored and looked up: trimmed, lower case."""
    return (value or "").strip().lower()


def required_text(value: str | None, limit: int, field: str, missing: str, what: str) -> str:
    """The trimmed text, or an error naming the field when it is empty or longer than `limit`."""
    text = (value or "").strip()
    if not text:
        raise UserError(missing, field)
    if len(text) > limit:
        raise UserError(f"The {what} is longer than {limit} characters.", field)
    return text


def display_name(value: str | None) -> str:
    """An account's non-empty display name."""
    return required_text(value, MAX_PERSON_NAME, "display_name", "Display name is required.", "display name")


def client_name(value: str | None) -> str:
    """A client's non-empty name."""
    return required_text(value, MAX_PERSON_NAME, "name", "Client name is required.", "name")


def zone(value: str | None) -> str:
    """A known IANA zone name (the rule itself is recurrence.zone, which the scheduling code also uses)."""
    recurrence.zone(value or "")
    return value


def role(value: str | None) -> str:
    """One of the known roles."""
    if value not in ROLES:
        raise UserError(f"Unknown role '{value}'. Choose one of {', '.join(ROLES)}.", "role")
    return value


def tags(values) -> list[str]:
    """Lower-case, de-duplicated tags; each must be 1–40 letters, digits, '-' or '_'."""
    clean = []
    for given in values or ():
        tag = (given or "").strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise UserError(f"The tag '{tag[:20]}…' is longer than {MAX_TAG} characters.", "tags")
        if not _TAG.fullmatch(tag):
            raise UserError(f"The tag '{tag}' may only use letters, digits, '-' and '_'.", "tags")
        clean.append(tag.lower())
    return sorted(set(clean))


def new_password(value: str | None) -> str:
    """A password long enough to set, and short enough to hash."""
    password = value or ""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"Passwords need at least {MIN_PASSWORD} characters.", "password")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError(f"Passwords may be at most {MAX_PASSWORD_BYTES} bytes long.", "password")
    return password
