"""Zonal class counts on the product grid, under one of two pixel-zone rules.

- ``centre`` (centre-in): a pixel belongs to a zone when its centre lies inside the zone's
  polygon (GDAL's rasterisation without ``all_touched``), counted with one
  ``numpy.bincount`` per slice. Overlapping zones are rasterised in separate layers, so a
  pixel counts once per zone that contains its centre.
- ``fraction`` (fractional coverage): a pixel counts for a zone by the exact fraction of
  its area the polygon covers, computed by exactextract (a well-kept C++ library: exact
  polygon/cell intersection, the reference tool for this rule); counts are then fractional.

Either way every counted pixel (or fraction) falls in exactly one class, nodata and
technical codes included, so a zone's class areas add up: to its rasterised area
(centre), or to the polygon's area inside the product (fraction).

Memory is bounded, whatever the size of the zones: the zones' window is read in row
blocks cut on the store's chunk rows (at least one chunk row, 512 rows, so each compressed
chunk is decompressed once: ``max(4 Mpx, 512 x width) x years`` bytes, 10 MB/year for a
20000 px wide product), and counted in slices of ~``block_pixels`` (4 Mpx) holding the zone
labels (4 bytes/pixel) and the bincount keys (8 bytes/pixel): ~60 MB in all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import shapely
from affine import Affine
from exactextract import exact_extract
from exactextract.feature import JSONFeatureSource
from exactextract.raster import NumPyRasterSource
from rasterio.features import rasterize
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.checkpoint import Checkpoint, never
from landgrid.analysis.source import Source
from landgrid.errors import InvalidParameterValue

BLOCK_PIXELS = 4 * 1024 * 1024
Progress = Callable[[int, int], None]
Method = Literal["centre", "fraction"]
METHODS: tuple[str, ...] = ("centre", "fraction")
TileRunner = Callable[
    [Callable[..., Any], Sequence[dict[str, Any]], str], Iterable[tuple[int, Any]]
]
"""Runs ``fn(**call)`` for every tile, yielding ``(index, result)`` as tiles finish; where
(a loop, Prefect task runs, Dask) is the caller's choice (``flows.tiles``)."""


def in_a_loop(
    fn: Callable[..., Any], calls: Sequence[dict[str, Any]], name: str
) -> Iterator[tuple[int, Any]]:
    """The plain tile runner: one tile after the other, in this thread."""
    for i, kwargs in enumerate(calls):
        yield i, fn(**kwargs)


@dataclass(frozen=True)
class Zone:
    id: str | int
    geometry: BaseGeometry  # in the product's CRS
    properties: dict[str, Any] = field(default_factory=dict)


def layers(
    geometries: list[BaseGeometry], max_overlaps: int | None = None, check: Checkpoint = never
) -> list[list[int]]:
    """Zone indices grouped so that no two zones of a group overlap (greedy colouring);
    zones that only touch share a group.

    The work grows with the overlapping pairs (all n^2 of them for n identical zones), so
    past ``max_overlaps`` pairs the zones are refused, after at most that much work."""
    tree = shapely.STRtree(geometries)
    every = np.array(geometries, dtype=object)
    layer_of = [-1] * len(geometries)
    groups: list[list[int]] = []
    overlaps = 0
    for i, geom in enumerate(geometries):
        check()  # overlapping zones make this quadratic: stoppable at every zone
        near = tree.query(geom)  # envelopes only: exact tests on the earlier zones below
        near = near[near < i]
        if len(near):
            # interiors intersect: intersects and does not only touch (touching zones may
            # share a layer), against the prepared zone, in one C call each
            shapely.prepare(geom)
            others = every[near]
            near = near[shapely.intersects(geom, others) & ~shapely.touches(geom, others)]
        over = near
        overlaps += len(over)
        if max_overlaps is not None and overlaps > max_overlaps:
            raise InvalidParameterValue(
                f"input 'zones': more than {max_overlaps} pairs of overlapping zones "
                "(LANDGRID_LIMIT_ZONE_OVERLAPS); each overlap is counted in a layer of its own"
            )
        taken = {layer_of[int(j)] for j in over}
        layer = next((k for k in range(len(groups)) if k not in taken), len(groups))
        if layer == len(groups):
            groups.append([])
        groups[layer].append(i)
        layer_of[i] = layer
    return groups


def blocks(
    window: tuple[int, int, int, int], block_pixels: int, chunk: int = 1
) -> list[tuple[int, int]]:
    """Row blocks of ~``block_pixels`` (at least one chunk row), cut on the store's chunk
    rows so that no compressed chunk is read twice."""
    r0, r1, c0, c1 = window
    rows = max(1, block_pixels // max(1, c1 - c0))
    step = max(chunk, rows // chunk * chunk)
    cuts = [r0, *range((r0 // step + 1) * step, r1, step), r1]
    return list(itertools.pairwise(cuts))


def _rows(src: Source, geoms: list[BaseGeometry]) -> tuple[np.ndarray, np.ndarray]:
    """Fractional top and bottom rows of each geometry on the product grid."""
    p = src.product
    bounds = shapely.bounds(np.array(geoms, dtype=object))
    return (p.extent.ymax - bounds[:, 3]) / p.resolution, (
        p.extent.ymax - bounds[:, 1]
    ) / p.resolution


@dataclass
class _Centre:
    """Centre-in counts of a set of zones, added one slice of rows at a time."""

    src: Source
    geoms: list[BaseGeometry]
    counts: np.ndarray  # (years, zones, 256)
    check: Checkpoint = never

    def __post_init__(self) -> None:
        self.top, self.bottom = _rows(self.src, self.geoms)
        self.groups = layers(self.geoms, check=self.check)

    def add(self, data: np.ndarray, r0: int, c0: int) -> None:
        """Count ``data`` (years, rows, cols), whose top-left pixel is (r0, c0)."""
        r1 = r0 + data.shape[1]
        transform = self.src.product.transform @ Affine.translation(c0, r0)
        for group in self.groups:
            self.check()
            inside = np.array([i for i in group if self.top[i] < r1 and self.bottom[i] > r0])
            if not len(inside):
                continue
            # labels local to the slice (1..k): bincount's size follows the zones here,
            # not all zones, so 100,000 zones cost no more per slice than 100
            labels = rasterize(
                ((self.geoms[i], k + 1) for k, i in enumerate(inside)),
                out_shape=data.shape[1:],
                transform=transform,
                fill=0,
                dtype="int32",
            )
            k = len(inside)
            keys = labels.astype(np.int64).ravel()
            keys <<= 8  # key = zone * 256 + code, built in place
            for y in range(data.shape[0]):
                codes = data[y].ravel()
                keys += codes
                binned = np.bincount(keys, minlength=(k + 1) * 256)
                keys -= codes
                self.counts[y, inside] += binned[256 : (k + 1) * 256].reshape(k, 256)


def _fraction(
    counts: np.ndarray, src: Source, geoms: list[BaseGeometry], data: np.ndarray, r0: int, c0: int
) -> None:
    """Add the coverage-weighted counts of ``data``: the fraction of each cell covered by a
    polygon is intrinsic to the cell, so sums over row blocks are the whole zone's."""
    p = src.product
    xmin = p.extent.xmin + c0 * p.resolution
    ymax = p.extent.ymax - r0 * p.resolution
    extent = (xmin, ymax - data.shape[1] * p.resolution, xmin + data.shape[2] * p.resolution, ymax)
    rasters = [NumPyRasterSource(data[y], *extent, name=f"y{y}") for y in range(data.shape[0])]
    features = JSONFeatureSource(
        [
            {"type": "Feature", "id": i, "properties": {}, "geometry": mapping(g)}
            for i, g in enumerate(geoms)
        ]
    )
    for feature in exact_extract(
        rasters, features, ["unique", "frac", "count"], include_cols=["id"]
    ):
        zone, props = feature["id"], feature["properties"]
        for y in range(data.shape[0]):
            prefix = f"y{y}_" if len(rasters) > 1 else ""
            codes = np.asarray(props[f"{prefix}unique"], dtype=np.int64)
            if len(codes):
                counts[y, zone, codes] += (
                    np.asarray(props[f"{prefix}frac"]) * props[f"{prefix}count"]
                )


def count_tile(
    src: Source,
    geoms: list[BaseGeometry],
    years: list[int],
    window: tuple[int, int, int, int],
    method: Method = "centre",
    block_pixels: int = BLOCK_PIXELS,
    check: Checkpoint | None = None,
) -> np.ndarray:
    """Counts ``(years, len(geoms), 256)`` of the zones ``geoms`` in one row block.

    The block is read at once (whole chunk rows: each compressed chunk decompressed once);
    centre-in counting then runs on slices of ~``block_pixels`` (fewer cache misses).
    ``check`` runs per slice and zone group (None where the tile runs remotely).
    """
    check = check or never
    r0, r1, c0, c1 = window
    dtype = np.float64 if method == "fraction" else np.int64
    counts = np.zeros((len(years), len(geoms), 256), dtype=dtype)
    data = src.read(years, window)
    check()
    if method == "fraction":
        _fraction(counts, src, geoms, data, r0, c0)
        return counts
    step = max(1, block_pixels // max(1, c1 - c0))
    centre = _Centre(src, geoms, counts, check)
    for s in range(0, r1 - r0, step):
        check()
        centre.add(data[:, s : s + step], r0 + s, c0)
    return counts


def class_counts(
    src: Source,
    zones: list[Zone],
    years: list[int],
    progress: Progress | None = None,
    block_pixels: int = BLOCK_PIXELS,
    chunk_rows: int | None = None,
    method: Method = "centre",
    run_tiles: TileRunner = in_a_loop,
    check: Checkpoint = never,
) -> np.ndarray:
    """Counts ``(years, zones, 256)``: pixels (``centre``: integers; ``fraction``: covered
    pixel fractions) of code c in zone z for each year.

    The zones' window is cut into row blocks (the tiles); each tile counts the zones that
    reach it, through ``run_tiles`` (a loop by default; Prefect task runs in a job, see
    ``flows.tiles``); ``progress(done, total)`` is called once per finished tile, and
    ``check`` between tiles and inside them.
    """
    dtype = np.float64 if method == "fraction" else np.int64
    counts = np.zeros((len(years), len(zones), 256), dtype=dtype)
    geoms = [z.geometry for z in zones]
    window = src.window(tuple(shapely.total_bounds(np.array(geoms, dtype=object))))
    r0w, r1w, c0, c1 = window
    if r1w <= r0w or c1 <= c0:
        return counts
    top, bottom = _rows(src, geoms)
    tiles, calls = [], []
    for r0, r1 in blocks(window, block_pixels, chunk_rows or src.chunk_rows()):
        inside = np.flatnonzero((top < r1) & (bottom > r0))
        if len(inside):
            tiles.append(inside)
            calls.append(
                {
                    "src": src,
                    "geoms": [geoms[i] for i in inside],
                    "years": years,
                    "window": (r0, r1, c0, c1),
                    "method": method,
                    "block_pixels": block_pixels,
                    "check": check,
                }
            )
    for done, (i, partial) in enumerate(
        run_tiles(count_tile, calls, "tile"),
        start=1,
    ):
        check()
        counts[:, tiles[i]] += partial
        if progress:
            progress(done, len(calls))
    return counts
