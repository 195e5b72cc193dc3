"""A product's features in PostGIS: pages of items, single items and queryables.

This is the one place that talks to the database for reads, so database errors are
translated here (``translate_db_errors``): a rejected query is the client's 400, a
cancelled one (statement timeout) a 503, anything else stays a server error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landgrid.features.crs import CrsInfo
from landgrid.features.cursor import encode
from landgrid.features.errors import InvalidParameter, NotFound, QueryTimeout
from landgrid.features.params import ItemsRequest, parse_crs, parse_items
from landgrid.features.product import VectorProduct
from landgrid.features.query import count_select, item_select, items_select
from landgrid.features.settings import FeatureSettings
from landgrid.features.table import TableInfo, describe
from landgrid.guards import LIMITS, Limits

T = TypeVar("T")
SCHEMA_TYPES = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"},
}


@cache
def features_engine(
    url: str,
    pool_size: int,
    max_overflow: int,
    timeout_ms: int,
    autocommit: bool = False,
    serial: bool = False,
) -> sa.Engine:
    """One pool per web worker (and mode), sized by configuration; every session has the
    statement timeout and UTC, so timestamps serialise the same whatever the server's zone.

    Reads use an ``autocommit`` pool without pre-ping: each read is a single statement, and
    in a transaction psycopg2 would send ``BEGIN`` before it and SQLAlchemy a ``ROLLBACK``
    when the connection goes back to the pool; a ping is one more round trip per request.
    A read on a dead pooled connection is retried instead (``FeatureStore._retrying``).
    Writes (Part 4) use the transactional, pinged pool. ``serial`` sessions start no
    parallel workers (their start-up and cancellation cost more than a short count)."""
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=not autocommit,
        pool_recycle=1800,
        connect_args={
            "options": f"-c statement_timeout={timeout_ms} -c TimeZone=UTC"
            + (" -c max_parallel_workers_per_gather=0" if serial else "")
        },
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )


@contextmanager
def translate_db_errors() -> Iterator[None]:
    try:
        yield
    except DBAPIError as e:
        code = getattr(e.orig, "pgcode", None) or ""
        diag = getattr(e.orig, "diag", None)
        message = (getattr(diag, "message_primary", None) or str(e.orig)).splitlines()[0]
        if code == "57014":
            raise QueryTimeout("the query took too long; narrow it (bbox, filter)") from e
        if code[:2] in ("22", "23", "42", "XX"):
            raise InvalidParameter(f"the query was rejected: {message}") from e
        raise


@dataclass
class Page:
    features: list[str]
    crs: CrsInfo
    next: str | None = None
    prev: str | None = None
    number_matched: int | None = None

    def feature_collection(self) -> dict[str, Any]:
        """The page as a dict (for pygeoapi's HTML); the JSON path joins the texts."""
        return {
            "type": "FeatureCollection",
            "features": [json.loads(f) for f in self.features],
            "numberReturned": len(self.features),
            **({"numberMatched": self.number_matched} if self.number_matched is not None else {}),
        }


class FeatureStore:
    """Read access to one vector product."""

    def __init__(
        self,
        url: str,
        product: VectorProduct,
        settings: FeatureSettings,
        limits: Limits = LIMITS,
    ) -> None:
        self.product = product
        self.settings = settings
        self.limits = limits
        pool = (url, settings.pool_size, settings.max_overflow, settings.statement_timeout_ms)
        self.engine = features_engine(*pool)  # transactions (the editor)
        self.reader = features_engine(*pool, autocommit=True)
        # the cheap counts: their own small pool, whose statements time out at the budget
        budget = (url, 2, settings.pool_size, settings.count_budget_ms)
        self.counter = features_engine(*budget, autocommit=True, serial=True)

    def _retrying(self, read: Callable[[], T]) -> T:
        """A read, once more if its pooled connection was dead (the database restarted):
        SQLAlchemy then invalidates the pool, and reads are safe to repeat."""
        try:
            return read()
        except DBAPIError as e:
            if not e.connection_invalidated:
                raise
            return read()

    def info(self) -> TableInfo:
        with translate_db_errors():
            return self._retrying(lambda: describe(self.reader, self.product))

    def parse(
        self,
        args: Mapping[str, str],
        body_filter: dict | str | None = None,
        body_lang: str | None = None,
    ) -> tuple[TableInfo, ItemsRequest]:
        info = self.info()
        return info, parse_items(args, info, self.settings, body_filter, body_lang, self.limits)

    def items(self, info: TableInfo, req: ItemsRequest) -> Page:
        """A page; ``numberMatched`` with ``count=true``, when the first page is the whole
        result, and by default (no ``count``) on the unfiltered collection's first page
        (what QGIS and ``ogrinfo -so`` read it from) when that is cheap: at most
        ``count_bound`` features, counted within ``count_budget_ms``. A filtered count
        costs what the filter does on every row, so it is only made when asked."""
        query, nkeys = items_select(info, req, self.settings.coordinate_digits)
        any_time = req.datetime in (None, (None, None))  # QGIS sends 0000-01-01T00:00:00Z/..
        filtered = req.bbox or not any_time or req.filter is not None or req.equals
        cheap = req.count is None and req.cursor is None and not filtered
        cheap = cheap and self.settings.count_bound > 0
        with translate_db_errors():
            page = self._retrying(lambda: self._page(info, req, query, nkeys))
            if cheap and page.number_matched is None:
                page.number_matched = self._bounded_count(info, req)
        return page

    def _bounded_count(self, info: TableInfo, req: ItemsRequest) -> int | None:
        """The exact number of matches if at most ``count_bound``, counted in time; else
        None (the count is given up, never estimated)."""
        bound = self.settings.count_bound
        try:
            with self.counter.connect() as conn:
                found = conn.execute(count_select(info, req, bound)).scalar_one()
        except DBAPIError as e:
            if e.connection_invalidated or getattr(e.orig, "pgcode", None) == "57014":
                return None  # the budget ran out, or the connection was lost: no count
            raise
        return found if found <= bound else None

    def _page(self, info: TableInfo, req: ItemsRequest, query: sa.Select, nkeys: int) -> Page:
        with self.reader.connect() as conn:
            rows = conn.execute(query).all()
            more = len(rows) > req.limit
            rows = rows[: req.limit]
            forward = req.cursor is None or req.cursor[0]
            if not forward:
                rows.reverse()
            page = Page([r[0] for r in rows], req.crs)
            first = list(rows[0][1 : 1 + nkeys]) if rows else None
            last = list(rows[-1][1 : 1 + nkeys]) if rows else None
            if forward:
                page.next = encode("n", last) if more and last else None
                if req.cursor is not None:
                    page.prev = encode("p", first or req.cursor[1])
                elif req.offset and first:  # the features skipped come before this page
                    page.prev = encode("p", first)
            else:
                page.prev = encode("p", first) if more and first else None
                page.next = encode("n", last or req.cursor[1])  # type: ignore[index]
            if req.count:
                page.number_matched = conn.execute(count_select(info, req)).scalar_one()
            elif req.cursor is None and not more and req.offset == 0:
                page.number_matched = len(rows)  # the whole result: known without counting
        return page

    def item(self, identifier: str, crs: str | None = None) -> tuple[str, CrsInfo]:
        info = self.info()
        out = parse_crs(info, "crs", crs)
        value: Any = identifier
        if info.columns[self.product.id_column].kind == "integer":
            if not identifier.lstrip("-").isdigit() or abs(int(identifier)) >= 2**63:
                raise NotFound(f"feature {identifier!r} not found")
            value = int(identifier)
        query = item_select(info, value, out, self.settings.coordinate_digits)

        def read() -> str | None:
            with self.reader.connect() as conn:
                return conn.execute(query).scalar()

        with translate_db_errors():
            text = self._retrying(read)
        if text is None:
            raise NotFound(f"feature {identifier!r} not found")
        return text, out

    def queryables(self) -> dict[str, Any]:
        """JSON Schema (2020-12) of the properties a filter may use."""
        info = self.info()
        properties: dict[str, Any] = {
            info.product.geometry_column: {
                "format": f"geometry-{_geometry_format(info.geometry_type)}",
                "x-ogc-role": "primary-geometry",
            },
        }
        for name in [info.product.id_column, *info.property_names]:
            schema = dict(SCHEMA_TYPES.get(info.columns[name].kind, {}))
            if name == info.product.id_column:
                schema["x-ogc-role"] = "id"
            elif name == info.product.time_column:
                schema["x-ogc-role"] = "primary-instant"
            properties[name] = {"title": name, **schema}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": info.product.title,
            "properties": properties,
            "additionalProperties": False,
        }


def _geometry_format(geometry_type: str) -> str:
    names = {
        "POINT": "point",
        "MULTIPOINT": "multipoint",
        "LINESTRING": "linestring",
        "MULTILINESTRING": "multilinestring",
        "POLYGON": "polygon",
        "MULTIPOLYGON": "multipolygon",
    }
    return names.get(geometry_type, "any")
