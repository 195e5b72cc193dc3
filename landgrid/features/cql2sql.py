"""CQL2 (OGC API - Features Part 3) to parameterised SQL.

The ``cql2`` package parses and validates both encodings (text and JSON) into CQL2-JSON;
this module compiles that tree into a SQLAlchemy expression over the product's real
columns. Literals are always bound parameters and properties are looked up in the table
description, so a filter cannot inject SQL. pygeofilter lacks temporal functions,
ACCENTI and boolean literals (design.md §6), hence our own compiler.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from typing import Any

import cql2
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TIMESTAMP

from landgrid.features.crs import CrsInfo
from landgrid.features.errors import InvalidParameter
from landgrid.features.table import TableInfo
from landgrid.guards import (
    LIMITS,
    Limits,
    check_cql2_json,
    check_cql2_text,
    check_json_text,
    check_strings,
)

Expr = sa.ColumnElement[Any]
TIMESTAMPTZ = TIMESTAMP(timezone=True)

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "^": sa.func.power,
    "div": lambda a, b: sa.func.div(sa.cast(a, sa.Numeric), sa.cast(b, sa.Numeric)),
}
_SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_disjoint": "ST_Disjoint",
    "s_equals": "ST_Equals",
    "s_touches": "ST_Touches",
    "s_within": "ST_Within",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
    "s_contains": "ST_Contains",
}
# Allen's interval relations, on (start, end) pairs; an instant is (t, t).
_TEMPORAL: dict[str, Callable[[Expr, Expr, Expr, Expr], Any]] = {
    "t_after": lambda as_, ae, bs, be: as_ > be,
    "t_before": lambda as_, ae, bs, be: ae < bs,
    "t_contains": lambda as_, ae, bs, be: sa.and_(as_ < bs, ae > be),
    "t_disjoint": lambda as_, ae, bs, be: sa.or_(ae < bs, as_ > be),
    "t_during": lambda as_, ae, bs, be: sa.and_(as_ > bs, ae < be),
    "t_equals": lambda as_, ae, bs, be: sa.and_(as_ == bs, ae == be),
    "t_finishedby": lambda as_, ae, bs, be: sa.and_(as_ < bs, ae == be),
    "t_finishes": lambda as_, ae, bs, be: sa.and_(as_ > bs, ae == be),
    "t_intersects": lambda as_, ae, bs, be: sa.and_(as_ <= be, ae >= bs),
    "t_meets": lambda as_, ae, bs, be: ae == bs,
    "t_metby": lambda as_, ae, bs, be: as_ == be,
    "t_overlappedby": lambda as_, ae, bs, be: sa.and_(as_ > bs, as_ < be, ae > be),
    "t_overlaps": lambda as_, ae, bs, be: sa.and_(as_ < bs, ae > bs, ae < be),
    "t_startedby": lambda as_, ae, bs, be: sa.and_(as_ == bs, ae > be),
    "t_starts": lambda as_, ae, bs, be: sa.and_(as_ == bs, ae < be),
}
GEOJSON_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


def parse(source: str | dict | bool, lang: str | None, limits: Limits = LIMITS) -> dict | bool:
    """CQL2-JSON tree of a filter given as cql2-text or cql2-json (text, or already parsed
    JSON); 400 when malformed or over a limit. The guards run first: cql2 crashes the
    process on deep input (docs/upstream/cql2-deep-nesting.md)."""
    if lang not in (None, "cql2-text", "cql2-json"):
        raise InvalidParameter(f"filter-lang {lang!r}: expected cql2-text or cql2-json")
    if isinstance(source, str) and lang == "cql2-json":
        check_json_text(source, limits, "filter")
        try:
            source = json.loads(source)
        except ValueError as e:
            raise InvalidParameter(f"invalid CQL2 filter: not JSON: {e}") from e
        check_strings(source, "filter")
    try:
        if isinstance(source, str):
            check_cql2_text(source, limits)
            expr = cql2.parse_text(source)
        else:
            check_cql2_json(source, limits)
            expr = cql2.parse_json(json.dumps(source))
        tree = expr.to_json()  # not expr.validate(): 40 ms a call; compile() checks instead
    except (cql2.ParseError, cql2.ValidationError, ValueError) as e:
        first = " ".join(str(e).split())[:300]
        raise InvalidParameter(f"invalid CQL2 filter: {first}") from e
    if not isinstance(tree, (dict, bool)):
        raise InvalidParameter("invalid CQL2 filter: not a boolean expression")
    return tree


def compile_filter(info: TableInfo, filter_crs: CrsInfo, tree: dict | bool) -> Expr:
    """SQL of a parsed filter; a structurally wrong tree (missing or extra arguments,
    wrong node types) is the client's 400, not a server error."""
    try:
        return Compiler(info, filter_crs).predicate(tree)
    except (IndexError, KeyError, TypeError, AttributeError, ValueError) as e:
        raise InvalidParameter(f"invalid CQL2 filter: {type(e).__name__}: {e}") from e


class Compiler:
    """Compiles one CQL2-JSON tree for one table; geometry literals are in ``filter_crs``."""

    def __init__(self, info: TableInfo, filter_crs: CrsInfo) -> None:
        self.info = info
        self.crs = filter_crs

    def predicate(self, node: Any) -> Expr:
        if isinstance(node, bool):
            return sa.true() if node else sa.false()
        return self.expr(node)

    def expr(self, node: Any) -> Any:
        if isinstance(node, bool | int | float | str) or node is None:
            return sa.literal(node)
        if isinstance(node, list):
            raise InvalidParameter("a list is only allowed as the right-hand side of IN")
        if not isinstance(node, dict):
            raise InvalidParameter(f"unexpected CQL2 node {node!r}")
        if "property" in node:
            return self.column(node["property"])
        if "date" in node:
            return sa.cast(sa.literal(str(node["date"])), sa.Date)
        if "timestamp" in node:
            return sa.cast(sa.literal(str(node["timestamp"])), TIMESTAMPTZ)
        if "bbox" in node or node.get("type") in GEOJSON_TYPES:
            return self.geometry(node)
        if "interval" in node:
            raise InvalidParameter("an INTERVAL is only allowed in temporal functions")
        if "op" in node:
            return self.operation(str(node["op"]).lower(), node.get("args", []))
        raise InvalidParameter(f"unexpected CQL2 node {json.dumps(node)[:100]}")

    def column(self, name: str) -> sa.ColumnElement:
        if name not in self.info.columns:
            raise InvalidParameter(f"unknown property {name!r} (see /queryables)")
        return self.info.table.c[name]

    def geometry(self, node: dict) -> Expr:
        crs, storage = self.crs, self.info.srid
        if "bbox" in node:
            b = [float(v) for v in node["bbox"]]
            lo, hi = (b[0:2], b[2:4]) if len(b) == 4 else (b[0:2], b[3:5])
            if crs.lat_first:
                lo, hi = lo[::-1], hi[::-1]
            if crs.geographic and lo[0] > hi[0]:  # crosses the antimeridian: two boxes
                geom = sa.func.ST_Collect(
                    sa.func.ST_MakeEnvelope(lo[0], lo[1], 180.0, hi[1], crs.srid),
                    sa.func.ST_MakeEnvelope(-180.0, lo[1], hi[0], hi[1], crs.srid),
                )
            else:
                geom = sa.func.ST_MakeEnvelope(lo[0], lo[1], hi[0], hi[1], crs.srid)
        else:
            geom = sa.func.ST_SetSRID(sa.func.ST_GeomFromGeoJSON(json.dumps(node)), crs.srid)
            if crs.lat_first:
                geom = sa.func.ST_FlipCoordinates(geom)
        return sa.func.ST_Transform(geom, storage) if storage and storage != crs.srid else geom

    def operation(self, op: str, args: list) -> Any:
        if op in ("and", "or"):
            parts = [self.predicate(a) for a in args]
            return sa.and_(*parts) if op == "and" else sa.or_(*parts)
        if op == "not":
            return sa.not_(self.predicate(args[0]))
        if op in _COMPARE:
            return _COMPARE[op](self.expr(args[0]), self.expr(args[1]))
        if op in _ARITHMETIC:
            return _ARITHMETIC[op](self.expr(args[0]), self.expr(args[1]))
        if op == "like":
            return self.expr(args[0]).like(self.expr(args[1]))
        if op == "between":
            return self.expr(args[0]).between(self.expr(args[1]), self.expr(args[2]))
        if op == "in":
            if not isinstance(args[1], list):
                raise InvalidParameter("IN needs a list")
            return self.expr(args[0]).in_([self.expr(a) for a in args[1]])
        if op == "isnull":
            return self.expr(args[0]).is_(None)
        if op == "casei":
            return sa.func.lower(self.expr(args[0]))
        if op == "accenti":
            if not self.info.has_unaccent:
                raise InvalidParameter("ACCENTI needs the unaccent extension in the database")
            return sa.func.unaccent(self.expr(args[0]))
        if op in _SPATIAL:
            return getattr(sa.func, _SPATIAL[op])(self.expr(args[0]), self.expr(args[1]))
        if op in _TEMPORAL:
            return _TEMPORAL[op](*self.interval(args[0]), *self.interval(args[1]))
        raise InvalidParameter(f"unsupported CQL2 operator or function {op!r}")

    def interval(self, node: Any) -> tuple[Expr, Expr]:
        """(start, end) of an instant or interval; open ends are -infinity/infinity."""
        if isinstance(node, dict) and "interval" in node:
            start, end = node["interval"]
            return self.bound(start, "-infinity"), self.bound(end, "infinity")
        if isinstance(node, dict) and "property" in node:
            column = self.column(node["property"])
            kind = self.info.columns[node["property"]].kind
            if kind not in ("date", "date-time"):
                raise InvalidParameter(f"property {node['property']!r} is not temporal")
            return column, column
        if isinstance(node, dict) and ("date" in node or "timestamp" in node):
            value = self.expr(node)
            return value, value
        raise InvalidParameter("temporal functions take instants or intervals")

    def bound(self, value: Any, open_value: str) -> Expr:
        if value == "..":
            return sa.cast(sa.literal(open_value), TIMESTAMPTZ)
        if isinstance(value, str):
            return sa.cast(sa.literal(value), sa.Date if len(value) == 10 else TIMESTAMPTZ)
        start, _ = self.interval(value)
        return start
