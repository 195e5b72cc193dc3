"""Database engines, one per URL and process (pygeoapi re-instantiates plugins per request)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, create_engine


@cache
def engine(url: str) -> Engine:
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)
