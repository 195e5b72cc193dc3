"""Query parameters of ``/items`` (Features Parts 1-3) parsed into a typed request.

Everything is validated here, against the table's real columns and the collection's CRS
list, so that query building never sees an unchecked value; every problem is a 400 that
names the parameter.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from landgrid.features import cql2sql
from landgrid.features.crs import CRS84, CrsInfo, crs_info, crs_uri
from landgrid.features.cursor import decode
from landgrid.features.errors import InvalidParameter, UnknownParameter
from landgrid.features.settings import FeatureSettings
from landgrid.features.table import TableInfo
from landgrid.guards import LIMITS, Limits

KNOWN = {
    "f",
    "limit",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "properties",
    "skipGeometry",
    "cursor",
    "count",
    "offset",
}
_INSTANT = re.compile(
    r"^(\d{4})-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$"
)


@dataclass
class ItemsRequest:
    limit: int
    crs: CrsInfo
    cursor: tuple[bool, list[Any]] | None = None
    bbox: list[float] | None = None
    bbox_crs: CrsInfo = field(default_factory=lambda: crs_info(CRS84))
    datetime: tuple[str | None, str | None] | None = None
    filter: dict | bool | None = None
    filter_crs: CrsInfo = field(default_factory=lambda: crs_info(CRS84))
    equals: dict[str, Any] = field(default_factory=dict)
    sortby: list[tuple[str, bool]] = field(default_factory=list)
    properties: list[str] | None = None
    skip_geometry: bool = False
    count: bool | None = None  # None: numberMatched when it is cheap
    offset: int = 0  # features skipped first (the API's own paging is by cursor)
    conditions: list[Any] = field(default_factory=list)  # more WHERE terms (the catalogue's)


def supported_crs(info: TableInfo) -> list[str]:
    product = info.product
    return list(dict.fromkeys([*product.crs, product.storage_crs]))


def parse_crs(info: TableInfo, name: str, value: str | None, default: str = CRS84) -> CrsInfo:
    if value is None:
        return crs_info(default)
    try:
        uri = crs_uri(value)
        if uri not in supported_crs(info):
            raise ValueError(uri)
        return crs_info(uri)
    except ValueError as e:
        raise InvalidParameter(
            f"{name}: unsupported CRS {value!r}; supported: {', '.join(supported_crs(info))}"
        ) from e


def parse_items(
    args: Mapping[str, str],
    info: TableInfo,
    settings: FeatureSettings,
    body_filter: dict | str | None = None,
    body_lang: str | None = None,
    limits: Limits = LIMITS,
) -> ItemsRequest:
    queryables = query_parameters(info)
    unknown = sorted(set(args) - KNOWN - set(queryables))
    if unknown:
        raise UnknownParameter(f"unknown query parameter(s): {', '.join(unknown)}")
    req = ItemsRequest(
        limit=parse_limit(args.get("limit"), settings), crs=parse_crs(info, "crs", args.get("crs"))
    )
    if "offset" in args:
        value = args["offset"]
        if not value.isdigit():
            raise InvalidParameter(f"offset: expected an integer >= 0, got {value!r}")
        req.offset = int(value)
    if "cursor" in args:
        req.cursor = decode(args["cursor"])
    req.bbox_crs = parse_crs(info, "bbox-crs", args.get("bbox-crs"))
    if "bbox" in args:
        req.bbox = parse_bbox(args["bbox"], req.bbox_crs)
    if "datetime" in args:
        req.datetime = parse_datetime(args["datetime"])
    req.filter_crs = parse_crs(info, "filter-crs", args.get("filter-crs"))
    source = body_filter if body_filter is not None else args.get("filter")
    if source is not None:
        req.filter = cql2sql.parse(source, body_lang or args.get("filter-lang"), limits)
    elif "filter-lang" in args and args["filter-lang"] not in ("cql2-text", "cql2-json"):
        raise InvalidParameter("filter-lang: expected cql2-text or cql2-json")
    for name in queryables:
        if name in args:
            req.equals[name] = coerce(info, name, args[name])
    if args.get("sortby"):
        req.sortby = parse_sortby(args["sortby"], info)
    if "properties" in args:
        req.properties = parse_properties(args["properties"], info)
    req.skip_geometry = parse_bool("skipGeometry", args.get("skipGeometry", "false"))
    if "count" in args:
        req.count = parse_bool("count", args["count"])
    return req


def query_parameters(info: TableInfo) -> list[str]:
    """Queryables that are also equality parameters (Features Part 3): the id and every
    property of a simple type whose name is not one of the API's own parameters."""
    names = [info.product.id_column, *info.property_names]
    simple = ("integer", "number", "string", "boolean", "date", "date-time")
    return [n for n in names if n not in KNOWN and info.columns[n].kind in simple]


def parse_limit(value: str | None, settings: FeatureSettings) -> int:
    if value is None:
        return settings.limit_default
    if not value.isdigit() or int(value) < 1:
        raise InvalidParameter(
            f"limit: expected an integer from 1 to {settings.limit_max}, got {value!r}"
        )
    return min(int(value), settings.limit_max)


def parse_bbox(value: str, crs: CrsInfo) -> list[float]:
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError as e:
        raise InvalidParameter(f"bbox: expected 4 or 6 numbers, got {value!r}") from e
    if len(numbers) not in (4, 6) or not all(math.isfinite(v) for v in numbers):
        raise InvalidParameter(f"bbox: expected 4 or 6 finite numbers, got {value!r}")
    lo, hi = (numbers[:2], numbers[2:]) if len(numbers) == 4 else (numbers[:2], numbers[3:5])
    if crs.lat_first:
        lo, hi = lo[::-1], hi[::-1]
    x1, y1, x2, y2 = lo[0], lo[1], hi[0], hi[1]
    if y1 > y2:
        raise InvalidParameter("bbox: the lower corner is above the upper corner")
    if x1 > x2 and not crs.geographic:
        raise InvalidParameter(
            "bbox: minimum x above maximum x (only CRS84/EPSG:4326 boxes "
            "may cross the antimeridian)"
        )
    if crs.geographic and (max(abs(y1), abs(y2)) > 90 or max(abs(x1), abs(x2)) > 180):
        raise InvalidParameter("bbox: longitude/latitude out of range")
    return [x1, y1, x2, y2]  # always x/y (easting/longitude first) from here on


def parse_instant(value: str) -> str | None:
    """A validated date or date-time; None for an open end (also year 0000, as QGIS sends)."""
    if value in ("", ".."):
        return None
    match = _INSTANT.match(value)
    if not match:
        raise InvalidParameter(f"datetime: {value!r} is not an RFC 3339 date or date-time")
    if match.group(1) == "0000":
        return None
    try:
        dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as e:
        raise InvalidParameter(f"datetime: {value!r}: {e}") from e
    return value


def parse_datetime(value: str) -> tuple[str | None, str | None]:
    if "/" in value:
        start, _, end = value.partition("/")
        interval = parse_instant(start), parse_instant(end)
        if start in ("", "..") and end in ("", ".."):
            raise InvalidParameter("datetime: an interval needs at least one bound")
        if interval[0] and interval[1] and interval[0] > interval[1]:
            raise InvalidParameter("datetime: the interval ends before it starts")
        return interval
    instant = parse_instant(value)
    if instant is None:
        raise InvalidParameter(f"datetime: {value!r} is not an instant")
    return instant, instant


def parse_sortby(value: str, info: TableInfo) -> list[tuple[str, bool]]:
    keys = []
    for term in value.split(","):
        term = term.strip()
        name = term.lstrip("+-")
        if name not in info.columns or info.columns[name].kind == "geometry":
            raise InvalidParameter(f"sortby: unknown or unsortable property {name!r}")
        keys.append((name, term.startswith("-")))
    return keys


def parse_properties(value: str, info: TableInfo) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in info.property_names]
    if unknown:
        raise InvalidParameter(f"properties: unknown property {unknown[0]!r}")
    return names


def parse_bool(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise InvalidParameter(f"{name}: expected true or false, got {value!r}")
    return value.lower() == "true"


def coerce(info: TableInfo, name: str, value: str) -> Any:
    """A query-string value as the property's type (400 naming the property if it is not)."""
    kind = info.columns[name].kind
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if kind == "boolean":
            return parse_bool(name, value)
        if kind in ("date", "date-time") and parse_instant(value) is None:
            raise ValueError(value)
    except (ValueError, InvalidParameter) as e:
        raise InvalidParameter(f"property {name!r} is {kind}, got {value!r}") from e
    return value
