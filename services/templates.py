"""Message templates: only bare `{field}` placeholders, rendered by substitution that can never raise.

Python's str.format would honour format specs and conversions ("{first_name:>100000000}" builds a 1 GB string,
"{name!r}" shows quotes, "{name:%}" raises at send time), so templates are parsed once and only plain field
names are accepted; rendering replaces those names and nothing else.
"""

from __future__ import annotations

import string

from services.domain import Client
from services.errors import UserError

FIELDS = ("first_name", "name", "coach_name")
_FIELD_LIST = ", ".join("{" + f + "}" for f in FIELDS)


def pieces(body: str) -> list[tuple[str, str | None]]:
    """(literal text, field name or None) pairs of a valid template, or a UserError saying what is wrong."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError:
        raise UserError("The message has an unmatched { or }. Write {{ or }} for a literal brace.", "body") from None
    found = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (spec or conversion):
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise UserError(f"Write fields plainly, like {{first_name}}: {shown[:40]} is not allowed.", "body")
        if name is not None and name not in FIELDS:
            raise UserError(f"Unknown field {{{name[:40]}}}. You can use {_FIELD_LIST}.", "body")
        found.append((literal, name))
    return found


def check(body: str) -> None:
    """Refuse unknown, formatted or broken placeholders."""
    pieces(body)


def values_for(client: Client, coach_name: str) -> dict[str, str]:
    """What each field stands for, for one client."""
    return {"first_name": client.first_name, "name": client.name, "coach_name": coach_name}


def render(body: str, client: Client, coach_name: str) -> str:
    """The text one client gets; a template that no longer parses is sent as written, never an error."""
    try:
        parts = pieces(body)
    except UserError:
        return body
    values = values_for(client, coach_name)
    return "".join(literal + (values[name] if name else "") for literal, name in parts)


def longest(body: str, names: list[str], coach_name: str) -> tuple[int, str | None]:
    """The longest rendering for clients with these names, and whose it is (None when nobody)."""
    parts = pieces(body)
    fixed = sum(len(literal) for literal, _ in parts) + len(coach_name) * sum(n == "coach_name" for _, n in parts)
    uses_first = sum(n == "first_name" for _, n in parts)
    uses_name = sum(n == "name" for _, n in parts)
    best, who = fixed if not names else -1, None
    for full in names:
        first = full.split()[0] if full.strip() else full
        length = fixed + uses_first * len(first) + uses_name * len(full)
        if length > best:
            best, who = length, full
    return best, who
