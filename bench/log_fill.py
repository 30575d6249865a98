"""Fill PostgreSQL with a large delivery history in SQL (generate_series): clients, messages and deliveries.

Bulk-load style: the summary triggers are off while the deliveries go in and `delivery_counts` is rebuilt by one
grouped INSERT afterwards; the plain indexes of deliveries are dropped first and built once at the end (a sorted
build instead of a million random B-tree inserts). Constraints and their indexes stay.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from sqlalchemy import Engine, text

from services.db.types import UTCDateTime

_CLIENTS = """
INSERT INTO clients (id, coach_id, name, chat_user_id, timezone, active, created_at)
SELECT md5('client' || i)::uuid::text, (ARRAY[:coach_a, :coach_b])[i % 2 + 1], 'Client ' || i,
       'client-' || md5('client' || i), 'UTC', true, :now
FROM generate_series(0, :clients - 1) AS i
"""
_MESSAGES = """
INSERT INTO scheduled_messages (id, coach_id, title, body, target, kind, send_at, timezone, zone_mode, status,
                                version, created_at, updated_at, occurrences, sent_count, failed_count)
SELECT md5('message' || m)::uuid::text, (ARRAY[:coach_a, :coach_b])[m % 2 + 1], 'Message ' || m,
       'Hi {first_name}', 'all', 'once', :now - make_interval(days => m % :days), 'UTC', 'coach', 'completed',
       1, :now, :now, 1, 0, 0
FROM generate_series(0, :messages - 1) AS m
"""
# Each message goes to `per` distinct clients of its own coach (client i belongs to coach i % 2).
_DELIVERIES = """
INSERT INTO deliveries (id, message_id, coach_id, slot, client_id, status, chat_message_id, attempts, last_error,
                        created_at, updated_at, sent_at)
SELECT md5('delivery' || m || '-' || k)::uuid::text, md5('message' || m)::uuid::text,
       (ARRAY[:coach_a, :coach_b])[m % 2 + 1], 'once',
       md5('client' || ((((m * 37 + k) % (:clients / 2)) * 2) + m % 2))::uuid::text,
       s.status, CASE WHEN s.status = 'sent' THEN 'chat-' || m || '-' || k END, 1,
       CASE WHEN s.status = 'failed' THEN 'Stream answered 400: channel is frozen' END,
       t.at, t.at, CASE WHEN s.status = 'sent' THEN t.at END
FROM generate_series(0, :messages - 1) AS m
CROSS JOIN generate_series(0, :per - 1) AS k
CROSS JOIN LATERAL (SELECT CASE WHEN (m * 31 + k) % 100 < 3 THEN 'failed' WHEN (m * 31 + k) % 100 < 4 THEN 'pending'
                                WHEN (m * 31 + k) % 100 < 6 THEN 'skipped' ELSE 'sent' END AS status) AS s
CROSS JOIN LATERAL (SELECT :now - make_interval(days => m % :days, secs => k * 7 + m % 3600) AS at) AS t
"""
_SUMMARY = """
INSERT INTO delivery_counts AS c (coach_id, hour, message_id, status, n)
SELECT coach_id, date_trunc('hour', updated_at), message_id, status, count(*) FROM deliveries GROUP BY 1, 2, 3, 4
ON CONFLICT (coach_id, hour, message_id, status) DO UPDATE SET n = c.n + excluded.n
"""
# The plain (non-constraint) indexes of deliveries, to drop before the load and build after it.
_PLAIN_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = 'deliveries'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""


def fill(
    engine: Engine, coaches: tuple[str, str], now: datetime, clients: int, messages: int, per: int, days: int
) -> float:
    """Insert clients, messages and messages × per deliveries spread over `days`; returns the seconds that took.

    A VACUUM ANALYZE follows (not counted): it does what autovacuum would soon do to a real table (hint bits,
    visibility map, statistics), so the first read measured is not the one that pays for the bulk load.
    """
    started = time.perf_counter()
    params = {"coach_a": coaches[0], "coach_b": coaches[1], "clients": clients, "messages": messages}
    params |= {"per": per, "days": days, "now": UTCDateTime().process_bind_param(now, None)}
    with engine.begin() as conn:
        conn.execute(text(_CLIENTS), params)
        conn.execute(text(_MESSAGES), params)
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # index builds sort in memory
        indexes = conn.execute(text(_PLAIN_INDEXES)).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(text("ALTER TABLE deliveries DISABLE TRIGGER delivery_counts_insert"))
        conn.execute(text(_DELIVERIES), params)
        conn.execute(text("ALTER TABLE deliveries ENABLE TRIGGER delivery_counts_insert"))
        conn.execute(text(_SUMMARY))
        for _, definition in indexes:
            conn.execute(text(definition))
    seconds = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return seconds


def size_arguments(description: str) -> argparse.Namespace:
    """The command line of a bench over this fill: its sizes and how many timed rounds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--per", type=int, default=100, help="deliveries per message")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args()
