"""SQL of the items and item queries: WHERE from the request, GeoJSON built by PostGIS.

Each feature leaves the database as one JSON text (``json_build_object`` +
``ST_AsGeoJSON``); Python only joins those strings, never touches a coordinate. The page is
fetched with ``LIMIT n + 1`` to know whether a next page exists without counting.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON

from landgrid.features.cql2sql import TIMESTAMPTZ, compile_filter
from landgrid.features.crs import CrsInfo, crs_info
from landgrid.features.cursor import SortKey, beyond, order_by
from landgrid.features.params import ItemsRequest
from landgrid.features.table import TableInfo

Expr = sa.ColumnElement[Any]


def where(info: TableInfo, req: ItemsRequest) -> list[Expr]:
    conditions: list[Expr] = []
    if req.bbox is not None:
        conditions.append(bbox_condition(info, req.bbox, req.bbox_crs))
    if req.datetime is not None and info.product.time_column:
        conditions.append(datetime_condition(info, *req.datetime))
    for name, value in req.equals.items():
        conditions.append(info.table.c[name] == sa.literal(value))
    if req.filter is not None:
        conditions.append(compile_filter(info, req.filter_crs, req.filter))
    return conditions + req.conditions


def bbox_condition(info: TableInfo, bbox: list[float], crs: CrsInfo, exact: bool = True) -> Expr:
    """Intersection with a box; a geographic box with west > east crosses the antimeridian.

    Boxes are clipped to the storage CRS's area of use and densified before being projected,
    so that a world box still maps to a sensible polygon in e.g. EPSG:3035. ``exact=False``:
    bounding boxes overlap (``&&``, index only), for callers that clip afterwards (tiles).
    """
    x1, y1, x2, y2 = bbox
    boxes = [(x1, y1, x2, y2)] if x1 <= x2 else [(x1, y1, 180.0, y2), (-180.0, y1, x2, y2)]
    storage = crs_info(info.product.storage_crs)
    parts: list[Expr] = []
    for box in boxes:
        if crs.srid != info.srid and crs.geographic and not storage.geographic:
            w, s, e, n = storage.area_of_use
            box = (max(box[0], w), max(box[1], s), min(box[2], e), min(box[3], n))
            if box[0] > box[2] or box[1] > box[3]:
                continue
        geom = sa.func.ST_MakeEnvelope(*box, crs.srid)
        if crs.srid != info.srid:
            step = max(box[2] - box[0], box[3] - box[1]) / 32 or 1.0
            geom = sa.func.ST_Transform(sa.func.ST_Segmentize(geom, step), info.srid)
        parts.append(sa.func.ST_Intersects(info.geom, geom) if exact else info.geom.op("&&")(geom))
    return sa.or_(*parts) if parts else sa.false()


def datetime_condition(info: TableInfo, start: str | None, end: str | None) -> Expr:
    """Features whose instant (or [start, end] interval) meets the requested one.

    A feature without a time matches any ``datetime`` (``/req/core/fc-time-response`` C);
    an interval with only one end is open at the other. QGIS sends
    ``0000-01-01T00:00:00Z/..`` for "any time", which matches every feature."""
    first = info.table.c[info.product.time_column]  # type: ignore[index]
    last = info.table.c[info.product.time_end_column] if info.product.time_end_column else first
    conditions = []
    if end is not None:
        conditions.append(sa.or_(first.is_(None), first <= _time(end, end_of_day=True)))
    if start is not None:
        conditions.append(sa.or_(last.is_(None), last >= _time(start)))
    return sa.and_(*conditions) if conditions else sa.true()


def _time(value: str, end_of_day: bool = False) -> Expr:
    if len(value) == 10:  # a date stands for the whole day
        day = sa.cast(sa.literal(value), sa.Date)
        if end_of_day:
            return sa.cast(day + sa.literal(1), TIMESTAMPTZ) - sa.text("interval '1 microsecond'")
        return sa.cast(day, TIMESTAMPTZ)
    return sa.cast(sa.literal(value), TIMESTAMPTZ)


def feature_json(
    info: TableInfo, crs: CrsInfo, properties: list[str] | None, skip_geometry: bool, digits: int
) -> Expr:
    """One feature as GeoJSON text, in the output CRS and its axis order.

    Building this expression (a literal and a column per property) costs more than the
    rest of a page request in Python, so it is kept with the table description, for a few
    dozen shapes of output at most."""
    key = (crs.uri, None if properties is None else tuple(properties), skip_geometry, digits)
    expression = info.expressions.get(key)
    if expression is None:
        expression = _feature_json(info, crs, properties, skip_geometry, digits)
        if len(info.expressions) < 64:
            info.expressions[key] = expression
    return expression


def _feature_json(
    info: TableInfo, crs: CrsInfo, properties: list[str] | None, skip_geometry: bool, digits: int
) -> Expr:
    names = info.property_names if properties is None else properties

    def pairs(chunk: list[str]) -> list[Expr]:
        return [x for n in chunk for x in (sa.literal(n), info.table.c[n])]

    if len(names) <= 50:  # json keeps the column order; jsonb (beyond 50 pairs) does not
        props: Expr = sa.func.json_build_object(*pairs(names))
    else:
        chunks = [names[i : i + 50] for i in range(0, len(names), 50)]
        props = sa.func.jsonb_build_object(*pairs(chunks[0]))
        for chunk in chunks[1:]:
            props = props.op("||")(sa.func.jsonb_build_object(*pairs(chunk)))
    geometry: Expr = sa.null()
    if not skip_geometry:
        geom: Expr = info.geom
        if crs.srid != info.srid:
            geom = sa.func.ST_Transform(geom, crs.srid)
        if crs.lat_first:
            geom = sa.func.ST_FlipCoordinates(geom)
        geometry = sa.cast(sa.func.ST_AsGeoJSON(geom, digits), JSON)
    feature = sa.func.json_build_object(
        sa.literal("type"),
        sa.literal("Feature"),
        sa.literal("id"),
        info.id,
        sa.literal("geometry"),
        geometry,
        sa.literal("properties"),
        props,
    )
    return sa.cast(feature, sa.Text)


def sort_keys(info: TableInfo, sortby: list[tuple[str, bool]]) -> list[SortKey]:
    keys = [
        SortKey(info.table.c[name], desc, info.columns[name].nullable)
        for name, desc in sortby
        if name != info.product.id_column
    ]
    id_desc = next((d for n, d in sortby if n == info.product.id_column), False)
    return [*keys, SortKey(info.id, id_desc, nullable=False)]


def items_select(info: TableInfo, req: ItemsRequest, digits: int) -> tuple[sa.Select, int]:
    """The page query and the number of leading key columns after the feature column."""
    keys = sort_keys(info, req.sortby)
    conditions = where(info, req)
    forward = True
    if req.cursor is not None:
        forward, values = req.cursor
        conditions.append(beyond(keys, values, forward))
    columns = [
        feature_json(info, req.crs, req.properties, req.skip_geometry, digits).label("feature"),
        *(k.column.label(f"k{i}") for i, k in enumerate(keys)),
    ]
    query = (
        sa.select(*columns)
        .select_from(info.table)
        .where(*conditions)
        .order_by(*order_by(keys, reverse=not forward))
        .limit(req.limit + 1)
    )
    if req.offset:
        query = query.offset(req.offset)
    return query, len(keys)


def count_select(info: TableInfo, req: ItemsRequest, bound: int | None = None) -> sa.Select:
    """The number of matches; with ``bound``, of at most ``bound + 1`` of them (no more
    rows are read: more than the bound is all it says)."""
    if bound is None:
        return sa.select(sa.func.count()).select_from(info.table).where(*where(info, req))
    matches = sa.select(sa.literal(1)).select_from(info.table).where(*where(info, req))
    return sa.select(sa.func.count()).select_from(matches.limit(bound + 1).subquery())


def item_select(info: TableInfo, identifier: Any, crs: CrsInfo, digits: int) -> sa.Select:
    return (
        sa.select(feature_json(info, crs, None, False, digits))
        .select_from(info.table)
        .where(info.id == sa.literal(identifier))
    )
