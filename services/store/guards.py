"""Records that guard the edges: QStash signature ids seen (replay) and failed sign-ins (throttling)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from services.db.schema import sign_in_failures, signature_ids
from services.store.base import Repository, new_id
from services.store.upsert import insert_ignoring_conflicts


class SignatureRepository(Repository):
    """Signature ids (`jti`) until they expire."""

    def remember(self, jti: str, expires_at: datetime) -> bool:
        """True the first time a jti is seen; False for a replay. Expired ids are purged on the way."""
        with self.engine.begin() as conn:
            conn.execute(delete(signature_ids).where(signature_ids.c.expires_at < self.clock()))
            return insert_ignoring_conflicts(conn, signature_ids, [{"jti": jti, "expires_at": expires_at}]) == 1


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
