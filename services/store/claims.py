"""The claim rule shared by deliveries and nudge sends: who may take a pending row now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, and_, or_


def free_to_claim(table: Table, now: datetime, owner: str, retried: int) -> ColumnElement[bool]:
    """A row nobody holds, whose lease ran out, or that an earlier attempt of the same QStash message holds."""
    return or_(
        table.c.lease_until.is_(None),
        table.c.lease_until < now,
        and_(table.c.claimed_by == owner, table.c.claimed_retried < retried),
    )
