"""Vector tiles of a feature collection, made by PostGIS (``ST_AsMVT``) in one statement.

The tile's features are those the items endpoint would return for the same ``filter``
(CQL2), ``datetime`` and property values, intersecting the tile plus a buffer; the geometry
is transformed to the tile matrix set's CRS, simplified to a quarter of a tile-grid unit
(detail below what the 4096-unit MVT grid can hold is dropped before clipping and
snapping, which is what keeps low-zoom tiles small and cheap), clipped and encoded with
every property of the product (dates as text). The layer is named after the collection.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from landgrid.features.crs import CRS84, crs_info
from landgrid.features.params import ItemsRequest
from landgrid.features.query import bbox_condition, where
from landgrid.features.table import TableInfo

EXTENT = 4096  # MVT grid units per tile side
BUFFER = 64  # units of margin, so strokes do not end at tile edges
NATIVE = {"integer", "number", "boolean", "string"}  # kept as typed MVT values


def mvt_select(
    info: TableInfo,
    req: ItemsRequest,
    tile_bounds: tuple[float, float, float, float],
    tile_srid: int,
    crs84_bounds: tuple[float, float, float, float],
) -> sa.Select:
    """The statement returning the tile (one ``bytea``; empty when no feature is in it)."""
    xmin, ymin, xmax, ymax = tile_bounds
    envelope = sa.func.ST_MakeEnvelope(xmin, ymin, xmax, ymax, tile_srid)
    unit = (xmax - xmin) / EXTENT
    w, s, e, n = crs84_bounds
    pad_x, pad_y = (e - w) * BUFFER / EXTENT, (n - s) * BUFFER / EXTENT
    search = [w - pad_x, max(s - pad_y, -90.0), e + pad_x, min(n + pad_y, 90.0)]
    geom = info.geom if info.srid == tile_srid else sa.func.ST_Transform(info.geom, tile_srid)
    shape = sa.func.ST_AsMVTGeom(
        sa.func.ST_Simplify(geom, unit / 4, True),
        envelope,
        EXTENT,
        BUFFER,
        True,
    )
    columns: list[Any] = [shape.label("geom")]
    feature_id = info.columns[info.product.id_column].kind == "integer"
    if feature_id:
        columns.append(info.id.label("__id"))
    for name in info.property_names:
        column = info.table.c[name]
        kind = info.columns[name].kind
        columns.append((column if kind in NATIVE else sa.cast(column, sa.Text)).label(name))
    # boxes overlapping is enough: ST_AsMVTGeom clips, and drops what ends up empty
    conditions = [bbox_condition(info, search, crs_info(CRS84), exact=False), *where(info, req)]
    rows = sa.select(*columns).select_from(info.table).where(*conditions).subquery("tile")
    layer = sa.func.ST_AsMVT(
        sa.literal_column("tile.*"),
        sa.literal(info.product.id),
        EXTENT,
        "geom",
        *(["__id"] if feature_id else []),
    )
    return sa.select(layer).select_from(rows).where(rows.c.geom.is_not(None))


def layer_description(info: TableInfo, queryables: dict[str, Any], limits: list[int]) -> dict:
    """The tileset's ``layers`` entry (17-083r4): id, geometry, zooms, property schema."""
    dimension = {"POINT": 0, "MULTIPOINT": 0, "LINESTRING": 1, "MULTILINESTRING": 1}
    properties = {
        name: schema
        for name, schema in queryables["properties"].items()
        if name in info.property_names
    }
    return {
        "id": info.product.id,
        "title": info.product.title,
        "dataType": "vector",
        "geometryDimension": dimension.get(info.geometry_type, 2),
        "minTileMatrix": str(min(limits)),
        "maxTileMatrix": str(max(limits)),
        "propertiesSchema": {"type": "object", "properties": properties},
    }
