"""Database engines, one per URL and process (pygeoapi re-instantiates plugins per request),
and what counts as "the database is down" (a restart, not a bad statement)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


@cache
def engine(url: str) -> Engine:
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)


def database_down(error: BaseException) -> bool:
    """A refused, lost or closed connection (the server restarting or unreachable): the
    pool reconnects by itself, so the same call succeeds once the server is back."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)
