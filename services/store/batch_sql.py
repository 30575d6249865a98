"""Statements for batched fan-out writes: one short statement per batch, whatever its size.

A batch travels as one parameter (arrays through unnest on PostgreSQL, a JSON array through json_each on SQLite),
so the statement text is the same for every batch: the driver parses it once, and there is one round trip and
one type conversion per value instead of one bound parameter per row and column.
"""

from __future__ import annotations

import json
from functools import cache

from sqlalchemy import String, TextClause, bindparam, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import Executable

from services.db.schema import deliveries
from services.db.types import UTCDateTime

# The claim's lease rule, as in DeliveryRepository.claim: a pending row nobody holds, whose lease ran out, or
# held by the attempt this QStash retry replaces (same owner, lower Upstash-Retried). The proposed row (EXCLUDED)
# carries this call's owner, retried and now. Rows held by anyone else are neither changed nor returned, and the
# row lock the upsert takes makes that decision atomic under concurrent callers.
_TAKE_OVER = """
    ON CONFLICT (message_id, slot, client_id) DO UPDATE SET
        claimed_by = excluded.claimed_by, claimed_retried = excluded.claimed_retried,
        lease_until = excluded.lease_until, run_id = excluded.run_id,
        attempts = deliveries.attempts + 1, updated_at = excluded.updated_at
    WHERE deliveries.status = 'pending'
      AND (deliveries.lease_until IS NULL OR deliveries.lease_until < excluded.updated_at
           OR (deliveries.claimed_by = excluded.claimed_by AND deliveries.claimed_retried < excluded.claimed_retried))
    RETURNING id, client_id
"""
_CLAIM_COLUMNS = """
    INSERT INTO deliveries (id, message_id, coach_id, slot, client_id, status, attempts, claimed_by,
                            claimed_retried, lease_until, run_id, created_at, updated_at)
"""
_SOURCES = {
    # Ordered by client so concurrent claimers lock rows in the same order (no deadlock between them).
    "postgresql": """
        SELECT b.id, :message_id, :coach_id, :slot, b.client_id, 'pending', 1, :owner, :retried, :lease_until,
               :run_id, :now, :now
        FROM unnest(:ids, :client_ids) AS b(id, client_id) ORDER BY b.client_id
    """,
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
    "sqlite": """
        SELECT j.value ->> 0, :message_id, :coach_id, :slot, j.value ->> 1, 'pending', 1, :owner, :retried,
               :lease_until, :run_id, :now, :now
        FROM json_each(:rows) AS j WHERE true ORDER BY j.value ->> 1
    """,
}
_SENT = {
    "postgresql": """
        UPDATE deliveries SET status = 'sent', chat_message_id = b.chat_id, sent_at = :now, last_error = NULL,
                              lease_until = NULL, updated_at = :now
        FROM unnest(:ids, :chat_ids) AS b(id, chat_id) WHERE deliveries.id = b.id
    """,
    "sqlite": """
        UPDATE deliveries SET status = 'sent', chat_message_id = j.value ->> 1, sent_at = :now, last_error = NULL,
                              lease_until = NULL, updated_at = :now
        FROM json_each(:rows) AS j WHERE deliveries.id = j.value ->> 0
    """,
}


def _typed(sql: str, dialect: str, arrays: tuple[str, ...], times: tuple[str, ...]) -> TextClause:
    """A text statement with the store's UTC type on its times and the batch's arrays typed for PostgreSQL."""
    binds = [bindparam(name, type_=UTCDateTime) for name in times]
    if dialect == "postgresql":
        binds += [bindparam(name, type_=ARRAY(String)) for name in arrays]
    return text(sql).bindparams(*binds)


@cache
def claim_statement(dialect: str) -> TextClause:
    """Insert a claimed row per client or take over a free pending one; RETURNING what this caller got."""
    sql = _CLAIM_COLUMNS + _SOURCES[dialect] + _TAKE_OVER
    return _typed(sql, dialect, ("ids", "client_ids"), ("lease_until", "now"))


def claim_params(dialect: str, ids: list[str], client_ids: list[str]) -> dict:
    """The batch parameters of `claim_statement`: (delivery id, client id) pairs."""
    if dialect == "postgresql":
        return {"ids": ids, "client_ids": client_ids}
    return {"rows": json.dumps(list(zip(ids, client_ids, strict=True)))}


@cache
def sent_statement(dialect: str) -> TextClause:
    """Mark a batch of rows sent with their chat message ids and release their leases."""
    return _typed(_SENT[dialect], dialect, ("ids", "chat_ids"), ("now",))


def sent_params(dialect: str, sent: list[tuple[str, str]]) -> dict:
    """The batch parameters of `sent_statement`: (delivery id, chat message id) pairs."""
    if dialect == "postgresql":
        return {"ids": [d for d, _ in sent], "chat_ids": [c for _, c in sent]}
    return {"rows": json.dumps(sent)}


@cache
def failed_statement() -> Executable:
    """One compiled UPDATE for executemany (failures are few): recorded, pending again when transient, released."""
    return (
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            lease_until=None,
            updated_at=bindparam("b_now"),
        )
    )
