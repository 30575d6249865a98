"""Shared plumbing for repositories: the engine, the clock, ids and scoping."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, Engine, func, or_
from sqlalchemy.sql import Select

from services.db.engine import read_connection, single_statement
from services.domain import Actor

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh row id."""
    return str(uuid.uuid4())


class Repository:
    """Base for repositories: holds the engine and clock."""

    def __init__(self, engine: Engine, clock: Clock = utc_now):
        self.engine = engine
        self.clock = clock

    def read(self) -> Connection:
        """A connection for reads (`with self.read() as conn:`), outside a transaction; writes use engine.begin()."""
        return read_connection(self.engine)

    def single_statement(self) -> AbstractContextManager[Connection]:
        """A unit of work for one write statement (`with self.single_statement() as conn:`): see engine."""
        return single_statement(self.engine)


def scoped(query: Select, coach_column, actor: Actor) -> Select:
    """Limit a query to the actor's own coach rows unless the role reads across coaches."""
    if actor.sees_all_coaches:
        return query
    return query.where(coach_column == actor.account_id)


def matches_any(search: str, *columns) -> ColumnElement[bool]:
    """Case-insensitive substring match on any column; `%` and `_` in the search are literal characters."""
    needle = search.strip().lower()
    return or_(*(func.lower(func.coalesce(column, "")).contains(needle, autoescape=True) for column in columns))


def page_of(query: Select, limit: int, offset: int) -> Select:
    """Apply bounded paging (a page is never more than 500 rows)."""
    return query.limit(max(1, min(limit, 500))).offset(max(0, offset))
