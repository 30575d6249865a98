"""Records that guard the edges: QStash signature ids seen (replay) and failed sign-ins (throttling)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select

from services.db.schema import sign_in_failures, signature_ids
from services.store.base import Clock, Repository, new_id, utc_now
from services.store.upsert import insert_ignoring_conflicts


class SignatureRepository(Repository):
    """Signature ids (`jti`) until they expire."""

    # Expired ids are purged on the way, at most this often per process: a purge on every delivery was one more
    # statement per firing, and an expired signature is refused by its `exp` before its id is ever looked up.
    PURGE_EVERY = timedelta(seconds=60)

    def __init__(self, engine: Engine, clock: Clock = utc_now):
        super().__init__(engine, clock)
        self._purge_lock = threading.Lock()
        self._purged_at: datetime | None = None

    def remember(self, jti: str, expires_at: datetime) -> bool:
        """True the first time a jti is seen; False for a replay."""
        if self._purge_due():
            with self.engine.begin() as conn:
                conn.execute(delete(signature_ids).where(signature_ids.c.expires_at < self.clock()))
        with self.single_statement() as conn:
            return insert_ignoring_conflicts(conn, signature_ids, [{"jti": jti, "expires_at": expires_at}]) == 1

    def _purge_due(self) -> bool:
        """True for one caller once PURGE_EVERY has passed since the last purge (or for the first call)."""
        now = self.clock()
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < self.PURGE_EVERY:
                return False
            self._purged_at = now
            return True


class SignInFailureRepository(Repository):
    """Failed sign-ins by subject ("email:…" or "browser:…")."""

    def record(self, subjects: list[str]) -> None:
        """One failure for each subject, now."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(insert(sign_in_failures), [{"id": new_id(), "subject": s, "at": now} for s in subjects])

    def times_since(self, subject: str, since: datetime) -> list[datetime]:
        """When one subject failed since a time, oldest first; older rows of everyone are purged on the way."""
        with self.engine.begin() as conn:
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at < since))
            query = (
                select(sign_in_failures.c.at)
                .where(sign_in_failures.c.subject == subject, sign_in_failures.c.at >= since)
                .order_by(sign_in_failures.c.at)
            )
            return list(conn.scalars(query))

    def clear(self, subject: str) -> None:
        """Forget a subject's failures (after a good sign-in)."""
        with self.engine.begin() as conn:
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.subject == subject))
