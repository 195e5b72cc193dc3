"""Features drawn as class codes on an output grid: the pixels of a vector product's map.

PostGIS selects the features of the grid's extent (the same filters as ``/items``),
transforms them to the grid's CRS and simplifies them to half a pixel; rasterio burns each
feature's ``code`` (its class in the product's legend; 1 without a legend) into the grid,
later features over earlier ones. The codes are then coloured like a raster product's.
"""

from __future__ import annotations

import numpy as np
import shapely
import sqlalchemy as sa
from rasterio.features import rasterize

from landgrid.features.crs import CRS84, crs_info
from landgrid.features.params import ItemsRequest
from landgrid.features.query import bbox_condition, where
from landgrid.features.table import TableInfo

CODE = "code"  # the property holding a feature's legend code
LIMIT = 200_000  # features drawn at most in one map


def draw_select(
    info: TableInfo,
    req: ItemsRequest,
    crs84_bounds: tuple[float, float, float, float],
    srid: int,
    pixel: float,
    coded: bool,
) -> sa.Select:
    geom = info.geom if info.srid == srid else sa.func.ST_Transform(info.geom, srid)
    code = sa.cast(info.table.c[CODE], sa.Integer) if coded else sa.literal(1)
    return (
        sa.select(sa.func.ST_AsBinary(sa.func.ST_Simplify(geom, pixel / 2, True)), code)
        .select_from(info.table)
        .where(bbox_condition(info, list(crs84_bounds), crs_info(CRS84)), *where(info, req))
        .order_by(info.id)
        .limit(LIMIT)
    )


def burn(
    rows: list[tuple[bytes, int]], shape: tuple[int, int], transform, nodata: int
) -> np.ndarray:
    """The codes of ``rows`` (WKB, code) on a grid; ``nodata`` where no feature is."""
    shapes = [(shapely.from_wkb(bytes(wkb)), int(code)) for wkb, code in rows if wkb is not None]
    shapes = [(g, c) for g, c in shapes if not g.is_empty and 0 <= c <= 255]
    if not shapes:
        return np.full(shape, nodata, dtype=np.uint8)
    return rasterize(shapes, out_shape=shape, transform=transform, fill=nodata, dtype="uint8")
