"""Tiles of a raster product: which exist (limits), which year they show, and their codes.

A tile is an output grid (the tile's extent in the tile matrix set's CRS, 256 x 256 px)
read through ``landgrid.coverage.pyramid``: from the overview that fits the zoom, so a
zoom-0 tile costs about what a full-resolution one does. A tile shows one year: the one
``datetime`` (or ``subset=datetime(...)``/``time(...)``) selects, the newest when several
match or none is given.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from affine import Affine
from morecantile import Tile
from pyproj import CRS

from landgrid.coverage import pyramid
from landgrid.coverage.describe import wgs84_bbox
from landgrid.coverage.plan import Grid, Plan
from landgrid.coverage.query import CoverageQuery, parse_subsets
from landgrid.coverage.timeaxis import select_years
from landgrid.raster.product import RasterProduct
from landgrid.tiles import matrices
from landgrid.tiles.matrices import Limit
from landgrid.tiles.tilesets import Tileset

TIME_AXES = {"time", "t", "date", "datetime"}


def year_of(years: list[int], datetime: str | None, subsets: list[str]) -> tuple[int, int]:
    """(year, index in the store) that a tile or map shows: the newest one the time selects;
    400 for a bad or empty selection."""
    times = tuple(s for s in parse_subsets(subsets) if s.axis.lower() in TIME_AXES)
    return select_years(years, CoverageQuery(subsets=times, datetime=datetime))[-1]


@lru_cache(maxsize=256)
def _limits(
    bounds: tuple[float, ...], crs_wkt: str, resolution: float, tms_id: str
) -> tuple[Limit, ...]:
    crs = CRS.from_wkt(crs_wkt)
    deepest = matrices.max_zoom(tms_id, crs, bounds, resolution)
    return matrices.limits(tms_id, crs, bounds, deepest)


def limits(product: RasterProduct, tms_id: str) -> tuple[Limit, ...]:
    """``tileMatrixSetLimits``: zoom 0 to the first zoom as fine as the product's pixels."""
    return _limits(product.bounds, product.crs.to_wkt(), product.resolution, tms_id)


def tileset(
    base: str, product: RasterProduct, data_type: str, tms_id: str, query: dict[str, str]
) -> Tileset:
    return Tileset(
        base=base,
        collection=product.id,
        title=product.title,
        data_type=data_type,
        tms_id=tms_id,
        limits=limits(product, tms_id),
        crs84_bbox=wgs84_bbox(product),
        query=query,
        legend_href=f"{base}/collections/{product.id}/schema",
    )


def tile_grid(tms_id: str, tile: Tile) -> Grid:
    west, south, east, north = matrices.tile_bounds(tms_id, tile)
    size = matrices.TILE_SIZE
    transform = Affine((east - west) / size, 0, west, 0, -(north - south) / size, north)
    return Grid(matrices.tms_crs(tms_id), transform, size, size)


def tile_codes(
    product: RasterProduct, store: Path, year: tuple[int, int], tms_id: str, tile: Tile
) -> np.ndarray:
    """The tile's class codes (256 x 256), nodata outside the product."""
    plan = Plan(product, (year[0],), (year[1],), tile_grid(tms_id, tile), None)
    return pyramid.read(store, plan)[0]
