"""Server-side dashboard sessions: start one at sign-in, resume it from the browser's token, end it at sign-out.

The browser holds only a random token; the store holds its SHA-256. A session ends when it has been idle too long,
reaches its absolute limit, is signed out, or its account is deactivated or gets a new password (the account's
`sessions_valid_after`, checked through AccountService.current on every resume).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.account_admin import AccountService
from services.domain import Account
from services.store.base import Clock
from services.store.web_sessions import WebSessionRepository

# Far more than any real token: a longer cookie value is refused before it is hashed.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class Started:
    """A new session: the token for the browser's cookie (shown nowhere else) and when it ends at the latest."""

    token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    """What the store keeps of a token: its SHA-256 in hex (a token is 256 random bits, so no salt or slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WebSessionService:
    """Creates, resumes (touching) and revokes sessions under idle and absolute limits."""

    def __init__(
        self,
        sessions: WebSessionRepository,
        accounts: AccountService,
        clock: Clock,
        idle_timeout: timedelta = timedelta(hours=12),
        max_age: timedelta = timedelta(days=7),
    ):
        self.sessions = sessions
        self.accounts = accounts
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.max_age = max_age
        # Activity is written at most this often: a click does not have to cost a write, and the idle limit is
        # still kept to within a few percent.
        self.touch_every = min(timedelta(minutes=1), idle_timeout / 10)

    def start(self, account: Account) -> Started:
        """A new session for an account that has just signed in."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        expires_at = now + self.max_age
        self.sessions.insert(token_hash(token), account.id, now, expires_at)
        return Started(token, expires_at)

    def resume(self, token: str | None) -> Account | None:
        """The account of a live session, as stored now; None for an unknown, forged, expired or ended one."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        hashed = token_hash(token)
        found = self.sessions.get(hashed)
        now = self.clock()
        if found is None or found.revoked_at is not None:
            return None
        if now >= found.expires_at or now - found.last_seen_at >= self.idle_timeout:
            return None
        account = self.accounts.current(found.account_id, found.created_at)
        if account is None:  # deactivated, or a new password since this session began: it never comes back
            self.sessions.revoke(hashed, now)
            return None
        if now - found.last_seen_at >= self.touch_every and not self.sessions.touch(hashed, now):
            return None  # signed out in another tab a moment ago
        return account

    def end(self, token: str | None) -> None:
        """Sign-out: the session can never be resumed again."""
        if token and len(token) <= MAX_TOKEN_LENGTH:
            self.sessions.revoke(token_hash(token), self.clock())
