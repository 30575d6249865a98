"""Reading AppTest's markdown sources the way a person reads the rendered page."""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(.)")


def as_read(source: str) -> str:
    """The markdown source with backslash escapes resolved (user text is escaped so it shows literally)."""
    return _ESCAPE.sub(r"\1", source)
