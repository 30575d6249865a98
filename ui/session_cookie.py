"""The browser's session cookie: read it (as sent when the page connected) and set or clear it with a script.

Streamlit cannot send Set-Cookie from a script run, so a small script writes `document.cookie` in the page.
That is also why the cookie cannot be HttpOnly; SameSite=Strict keeps other sites' requests from carrying it,
and the token in it is worth nothing once the server session ends.
"""

from __future__ import annotations

import json
from datetime import datetime

import streamlit as st

COOKIE_NAME = "cms_session"


def sent_token() -> str | None:
    """The token the browser sent when this page connected (Streamlit reads cookies once, at connect)."""
    sent = st.context.cookies.get(COOKIE_NAME)
    # AppTest has no browser: its stand-in client answers with a mock, which is no token.
    return sent if isinstance(sent, str) and sent else None


def cookie_text(token: str, max_age_seconds: int, secure: bool) -> str:
    """The `document.cookie` assignment that stores a token (or, with max age 0 and no token, clears it)."""
    attributes = ["Path=/", f"Max-Age={max(0, max_age_seconds)}", "SameSite=Strict"] + (["Secure"] if secure else [])
    return "; ".join([f"{COOKIE_NAME}={token}", *attributes])


def served_over_https(always_secure: bool) -> bool:
    """Whether the cookie gets `Secure`: always when configured, else when the page itself is https."""
    return always_secure or (st.context.url or "").startswith("https://")


def _write(text: str) -> None:
    """Run one `document.cookie` assignment in the page (json.dumps quotes it as a JS string literal)."""
    st.html(f"<script>document.cookie = {json.dumps(text)};</script>", unsafe_allow_javascript=True)


def store(token: str, expires_at: datetime, now: datetime, always_secure: bool) -> None:
    """Keep the token in the browser until the session's absolute limit."""
    _write(cookie_text(token, int((expires_at - now).total_seconds()), served_over_https(always_secure)))


def clear(always_secure: bool) -> None:
    """Remove the cookie (sign-out, or a token the server no longer accepts)."""
    _write(cookie_text("", 0, served_over_https(always_secure)))
