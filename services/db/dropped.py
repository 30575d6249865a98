"""Dropped PostgreSQL connections, found at checkout without a round trip (instead of `pool_pre_ping`).

An idle connection receives nothing from the server unless the server is ending it: pg_terminate_backend, a
restart, an idle timeout or a pooler closing it all send a FATAL message or close the socket. So a pooled
connection whose socket is readable at checkout is dead; the pool discards it and hands out another one
(SQLAlchemy retries a checkout that raises DisconnectionError). That costs one poll() per checkout, where
pre-ping cost a `SELECT 1` round trip.

A connection that dies silently (a NAT or firewall forgetting it) shows nothing here: `pool_recycle` bounds
its age, and a statement that fails on it invalidates the whole pool (SQLAlchemy's disconnect handling), so
only that one unit of work fails; QStash retries the delivery, and every delivery is idempotent.
"""

from __future__ import annotations

import select

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError


def discard_dropped_connections(engine: Engine) -> None:
    """Make the engine's pool refuse, at checkout, connections the server has already closed."""
    event.listen(engine, "checkout", _refuse_if_dropped)


def _refuse_if_dropped(dbapi_connection, _record, _proxy) -> None:
    """Raise DisconnectionError when the server has closed (or is closing) this idle connection."""
    if server_hung_up(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")


def server_hung_up(dbapi_connection) -> bool:
    """True when the connection is closed or its socket has something to read while nothing was asked."""
    if dbapi_connection.closed:
        return True
    try:
        fileno = dbapi_connection.fileno()
    except psycopg.OperationalError:  # a connection psycopg already knows is broken
        return True
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
