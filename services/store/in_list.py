"""`column IN (values)` that stays one short statement for long lists on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def one_of(column, values: list[str], dialect: str) -> ColumnElement[bool]:
    """column = ANY(array) on PostgreSQL (one parameter, whatever the length); IN (…) elsewhere."""
    if dialect == "postgresql":
        # An IN list of a thousand ids is a thousand parameters for psycopg to parse on every call.
        return column == any_(bindparam(None, list(values), type_=ARRAY(String)))
    return column.in_(values)


def one_of_param(column, name: str, dialect: str) -> ColumnElement[bool]:
    """one_of with the values left to a named parameter, for a statement built once and executed many times."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))
