"""Dashboard sessions by token hash: the SQL behind services.web_sessions (which decides what is valid)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select

from services.db.schema import web_sessions
from services.store.base import Repository


@dataclass(frozen=True)
class WebSessionRow:
    """One stored session (never the token itself)."""

    account_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class WebSessionRepository(Repository):
    """Inserts, reads, touches and revokes sessions; expired rows are purged when a new one starts."""

    def insert(self, token_hash: str, account_id: str, now: datetime, expires_at: datetime) -> None:
        """A new session; sessions past their absolute limit (everyone's) are deleted on the way."""
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
            row = {"token_hash": token_hash, "account_id": account_id, "created_at": now, "last_seen_at": now}
            conn.execute(insert(web_sessions).values(**row, expires_at=expires_at))

    def get(self, token_hash: str) -> WebSessionRow | None:
        """The session with this token hash, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(web_sessions).where(web_sessions.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return WebSessionRow(row.account_id, row.created_at, row.last_seen_at, row.expires_at, row.revoked_at)

    def touch(self, token_hash: str, now: datetime) -> bool:
        """Record activity on a live session; False when it was revoked meanwhile (a revocation always wins)."""
        return self._update_live(token_hash, last_seen_at=now)

    def revoke(self, token_hash: str, now: datetime) -> None:
        """End one session (sign-out); an unknown or already revoked one is left as it is."""
        self._update_live(token_hash, revoked_at=now)

    def _update_live(self, token_hash: str, **values) -> bool:
        """Change a session that is not revoked; True when there was one."""
        query = (
            web_sessions.update()
            .where(web_sessions.c.token_hash == token_hash, web_sessions.c.revoked_at.is_(None))
            .values(**values)
        )
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount == 1
