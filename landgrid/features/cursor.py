"""Keyset paging: opaque cursors and the WHERE clause that resumes after (or before) a row.

A cursor holds the sort-key values of the last (``next``) or first (``prev``) row of a page;
the next page is ``WHERE key > boundary ORDER BY key LIMIT n``, an index range scan
however deep the page, unlike ``OFFSET`` which reads and discards every earlier row. Sort
order is always completed by the id, so it is total and stable. NULLs sort last.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from landgrid.features.errors import InvalidParameter


@dataclass(frozen=True)
class SortKey:
    column: sa.ColumnElement
    descending: bool = False
    nullable: bool = True


def order_by(keys: list[SortKey], reverse: bool = False) -> list[Any]:
    """ORDER BY terms: the page order, or its exact reverse (to fetch a ``prev`` page)."""
    terms = []
    for key in keys:
        desc = key.descending != reverse
        term = key.column.desc() if desc else key.column.asc()
        if key.nullable:
            term = term.nulls_first() if reverse else term.nulls_last()
        terms.append(term)
    return terms


def beyond(keys: list[SortKey], values: list[Any], forward: bool) -> sa.ColumnElement[bool]:
    """Rows strictly after (``forward``) or before the boundary row, in page order."""
    if len(values) != len(keys):
        raise InvalidParameter("cursor does not match this query")
    condition: sa.ColumnElement[bool] | None = None  # None: no later key (false)
    for key, value in reversed(list(zip(keys, values, strict=True))):
        col = key.column
        if value is None:
            rest = [sa.and_(col.is_(None), condition)] if condition is not None else []
            condition = (
                sa.and_(col.is_(None), condition)
                if forward and condition is not None
                else sa.false()
                if forward
                else sa.or_(col.is_not(None), *rest)
            )
            continue
        v = sa.literal(value)
        past = (
            (col < v if key.descending else col > v)
            if forward
            else (col > v if key.descending else col < v)
        )
        parts = [past]
        if forward and key.nullable:
            parts.append(col.is_(None))
        if condition is not None:
            parts.append(sa.and_(col == v, condition))
        condition = sa.or_(*parts) if len(parts) > 1 else past
    assert condition is not None
    return condition


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def encode(direction: str, values: list[Any]) -> str:
    raw = json.dumps([direction, [_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[bool, list[Any]]:
    """(forward, boundary values) of a cursor; 400 when it was not made by ``encode``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, values = json.loads(raw)
        if direction not in ("n", "p") or not isinstance(values, list):
            raise ValueError(direction)
        if not all(isinstance(v, str | int | float | bool) or v is None for v in values):
            raise ValueError(values)
    except (binascii.Error, ValueError, TypeError) as e:
        raise InvalidParameter("invalid cursor: use the next/prev links as given") from e
    return direction == "n", values
