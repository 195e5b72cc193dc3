"""The tile matrix sets we serve (OGC 17-083r4, 2D TMS 2.0, from morecantile) and tile maths.

WebMercatorQuad (web maps), WorldCRS84Quad (GDAL's preferred one) and
EuropeanETRS89_LAEAQuad (EPSG:3035, the products' own CRS: tiles there are windows of the
native grid, no reprojection). ``limits`` gives the ``tileMatrixSetLimits`` of an extent:
the tiles that hold data at each zoom, from the first zoom where the extent spans a whole
cell each way (coarser tiles would draw the data smaller than one pixel, and GDAL 3.6 fails
on such a level: "Computed -srcwin ... has negative width and/or height") to the first zoom
at least as fine as the data.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import morecantile
from morecantile import Tile, TileMatrixSet
from pyproj import CRS, Transformer

from landgrid.crs import CRS84, parse_crs
from landgrid.errors import InvalidParameterValue, NotFound

IDS = ("WebMercatorQuad", "WorldCRS84Quad", "EuropeanETRS89_LAEAQuad")
TILE_SIZE = 256
_local = threading.local()


@cache
def tile_matrix_set(tms_id: str) -> TileMatrixSet:
    """A served tile matrix set; 404 naming the ones served otherwise."""
    if tms_id not in IDS:
        raise NotFound(f"no tile matrix set {tms_id!r}; served: {', '.join(IDS)}")
    return morecantile.tms.get(tms_id)


@cache
def definition(tms_id: str) -> dict[str, Any]:
    """The 2D TMS 2.0 JSON document of a tile matrix set, with the members of the TMS 1.0
    JSON encoding (OGC 17-083r2) beside them: GDAL 3.6's OGCAPI driver reads only those
    (``type``, ``identifier``, ``supportedCRS``, ``tileMatrix``) and fails on a 2.0-only
    document ("Invalid tiling matrix set name"); the 2.0 schema admits extra members, so
    one document serves readers of both versions. Corners are in the CRS's axis order in
    both (``pointOfOrigin`` = ``topLeftCorner``)."""
    doc = tile_matrix_set(tms_id).model_dump(exclude_none=True, mode="json")
    return doc | {
        "type": "TileMatrixSetType",
        "identifier": doc["id"],
        "supportedCRS": doc["crs"],
        "tileMatrix": [
            {
                "type": "TileMatrixType",
                "identifier": m["id"],
                "scaleDenominator": m["scaleDenominator"],
                "topLeftCorner": m["pointOfOrigin"],
                "tileWidth": m["tileWidth"],
                "tileHeight": m["tileHeight"],
                "matrixWidth": m["matrixWidth"],
                "matrixHeight": m["matrixHeight"],
            }
            for m in doc["tileMatrices"]
        ],
    }


@cache
def tms_crs(tms_id: str) -> CRS:
    return parse_crs(tile_matrix_set(tms_id).crs.root, "tileMatrixSet")


@dataclass(frozen=True)
class Limit:
    zoom: int
    min_row: int
    max_row: int
    min_col: int
    max_col: int

    def contains(self, row: int, col: int) -> bool:
        return self.min_row <= row <= self.max_row and self.min_col <= col <= self.max_col

    def document(self, tms_id: str) -> dict[str, Any]:
        return {
            "tileMatrix": str(self.zoom),
            "minTileRow": self.min_row,
            "maxTileRow": self.max_row,
            "minTileCol": self.min_col,
            "maxTileCol": self.max_col,
        }


def tms_bounds(tms_id: str, crs: CRS, bounds: tuple[float, float, float, float]):
    """``bounds`` (x/y order, in ``crs``) in the TMS's CRS, densified, cut to its extent."""
    tms = tile_matrix_set(tms_id)
    target = tms_crs(tms_id)
    if crs != target:
        bounds = transformer(crs, target).transform_bounds(*bounds, densify_pts=21)
    full = tms.xy_bbox
    return (
        max(bounds[0], full.left),
        max(bounds[1], full.bottom),
        min(bounds[2], full.right),
        min(bounds[3], full.top),
    )


def tms_bounds_crs84(tms_id: str, bounds: tuple[float, float, float, float]):
    """A TMS-CRS box (x/y) in CRS84, densified (the search box of a vector tile)."""
    crs = tms_crs(tms_id)
    if crs == CRS84:
        return bounds
    return transformer(crs, CRS84).transform_bounds(*bounds, densify_pts=21)


def transformer(src: CRS, dst: CRS) -> Transformer:
    """This thread's transformer between two CRSs (x/y order): making one costs ~5 ms,
    and pyproj's are not to be shared between threads."""
    cache = _local.__dict__.setdefault("transformers", {})
    key = (src.srs, dst.srs)
    if key not in cache:
        cache[key] = Transformer.from_crs(src, dst, always_xy=True)
    return cache[key]


@cache
def srid(tms_id: str) -> int:
    """The PostGIS SRID of the TMS's CRS (x/y order: CRS84 is 4326 there)."""
    crs = tms_crs(tms_id)
    return 4326 if crs == CRS84 else int(crs.to_epsg())


def cell_size(tms_id: str, zoom: int) -> float:
    return tile_matrix_set(tms_id).matrix(zoom).cellSize


@lru_cache(maxsize=512)
def max_zoom(tms_id: str, crs: CRS, bounds: tuple[float, ...], resolution: float) -> int:
    """The first zoom whose cells are at least as fine as ``resolution`` (in ``crs`` units)
    measured at the centre of ``bounds``; the set's deepest zoom if none is."""
    tms, target = tile_matrix_set(tms_id), tms_crs(tms_id)
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    if crs != target:
        (x0, x1), (y0, y1) = transformer(crs, target).transform([cx, cx + resolution], [cy, cy])
        size = math.hypot(x1 - x0, y1 - y0)
    else:
        size = resolution
    for z in range(tms.minzoom, tms.maxzoom + 1):
        if cell_size(tms_id, z) <= size * (1 + 1e-9):
            return z
    return tms.maxzoom


@lru_cache(maxsize=512)
def limits(tms_id: str, crs: CRS, bounds: tuple[float, ...], deepest: int) -> tuple[Limit, ...]:
    """Per zoom up to ``deepest``: the range of tiles intersecting ``bounds`` (``crs``,
    x/y), from the first zoom whose cells are not larger than the extent (at least
    ``deepest`` itself)."""
    tms = tile_matrix_set(tms_id)
    xmin, ymin, xmax, ymax = tms_bounds(tms_id, crs, bounds)
    out = []
    for z in range(tms.minzoom, deepest + 1):
        m = tms.matrix(z)
        if z < deepest and min(xmax - xmin, ymax - ymin) < m.cellSize:
            continue
        left, top = tms.xy_bounds(Tile(0, 0, z)).left, tms.xy_bounds(Tile(0, 0, z)).top
        span_x, span_y = m.cellSize * m.tileWidth, m.cellSize * m.tileHeight
        eps = 1e-9 * span_x
        c0 = max(0, math.floor((xmin - left) / span_x + eps))
        c1 = min(m.matrixWidth - 1, math.ceil((xmax - left) / span_x - eps) - 1)
        r0 = max(0, math.floor((top - ymax) / span_y + eps))
        r1 = min(m.matrixHeight - 1, math.ceil((top - ymin) / span_y - eps) - 1)
        out.append(Limit(z, r0, max(r0, r1), c0, max(c0, c1)))
    return tuple(out)


def parse_tile(tms_id: str, matrix: str, row: str, col: str, lim: Sequence[Limit]) -> Tile:
    """A tile of the set inside ``lim``: 400 for what is not a tile index, 404 for a tile
    outside the matrix or the limits (OGC API - Tiles /req/core/tc-error)."""
    tms = tile_matrix_set(tms_id)
    try:
        z, y, x = int(matrix), int(row), int(col)
    except ValueError:
        raise InvalidParameterValue(
            f"tile: {matrix}/{row}/{col} is not tileMatrix/tileRow/tileCol integers"
        ) from None
    if not tms.minzoom <= z <= tms.maxzoom:
        raise NotFound(f"tileMatrix {z} is not in {tms_id} ({tms.minzoom}..{tms.maxzoom})")
    m = tms.matrix(z)
    if not (0 <= y < m.matrixHeight and 0 <= x < m.matrixWidth):
        raise NotFound(
            f"tile {z}/{y}/{x} is outside the {m.matrixHeight} x {m.matrixWidth} matrix {z}"
        )
    by_zoom = {lim_.zoom: lim_ for lim_ in lim}
    if z not in by_zoom or not by_zoom[z].contains(y, x):
        zooms = f"{min(by_zoom)}..{max(by_zoom)}" if by_zoom else "none"
        raise NotFound(
            f"tile {z}/{y}/{x} is outside this tileset's limits (tileMatrixSetLimits: "
            f"tile matrices {zooms})"
        )
    return Tile(x, y, z)


def tile_bounds(tms_id: str, tile: Tile) -> tuple[float, float, float, float]:
    """The tile's extent in the TMS's CRS, x/y order."""
    b = tile_matrix_set(tms_id).xy_bounds(tile)
    return (b.left, b.bottom, b.right, b.top)
