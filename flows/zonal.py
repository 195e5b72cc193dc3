"""Zonal class counts on the product grid: rasterise the zones, ``numpy.bincount`` per zone.

Rule (centre-in): a pixel belongs to a zone when its centre lies inside the zone's polygon
(GDAL's rasterisation without ``all_touched``). Every pixel of a zone is counted in exactly
one class (nodata and technical codes included), so a zone's class areas add up to its
rasterised area. Overlapping zones are rasterised in separate layers, so a pixel counts
once per zone that contains its centre.

Memory is bounded, whatever the size of the zones: the zones' window is read in row
blocks cut on the store's chunk rows (at least one chunk row, 512 rows, so each compressed
chunk is decompressed once: ``max(4 Mpx, 512 x width) x years`` bytes, 10 MB/year for a
20000 px wide product), and counted in slices of ~``block_pixels`` (4 Mpx) holding the zone
labels (4 bytes/pixel) and the bincount keys (8 bytes/pixel): ~60 MB in all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from affine import Affine
from rasterio.features import rasterize
from shapely.geometry.base import BaseGeometry

from processes.catalog import Source

BLOCK_PIXELS = 4 * 1024 * 1024
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Zone:
    id: str | int
    geometry: BaseGeometry  # in the product's CRS
    properties: dict[str, Any] = field(default_factory=dict)


def layers(geometries: list[BaseGeometry]) -> list[list[int]]:
    """Zone indices grouped so that no two zones of a group overlap (greedy colouring);
    zones that only touch share a group."""
    tree = shapely.STRtree(geometries)
    layer_of = [-1] * len(geometries)
    groups: list[list[int]] = []
    for i, geom in enumerate(geometries):
        taken = set()
        for j in tree.query(geom, predicate="intersects"):
            j = int(j)
            if j < i and layer_of[j] not in taken and geom.intersection(geometries[j]).area > 0:
                taken.add(layer_of[j])
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


@dataclass
class _Counter:
    """Counts of a set of zones, filled one slice of rows at a time."""

    src: Source
    geoms: list[BaseGeometry]
    counts: np.ndarray  # (years, zones, 256)

    def __post_init__(self) -> None:
        p = self.src.product
        bounds = shapely.bounds(np.array(self.geoms, dtype=object))
        self.top = (p.extent.ymax - bounds[:, 3]) / p.resolution
        self.bottom = (p.extent.ymax - bounds[:, 1]) / p.resolution
        self.groups = layers(self.geoms)

    def add(self, data: np.ndarray, r0: int, c0: int) -> None:
        """Count ``data`` (years, rows, cols), whose top-left pixel is (r0, c0)."""
        r1 = r0 + data.shape[1]
        transform = self.src.product.transform @ Affine.translation(c0, r0)
        for group in self.groups:
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


def class_counts(
    src: Source,
    zones: list[Zone],
    years: list[int],
    progress: Progress | None = None,
    block_pixels: int = BLOCK_PIXELS,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """Pixel counts ``(years, zones, 256)``: pixels of code c in zone z for each year.

    Reads are whole chunk rows (each compressed chunk decompressed once); counting runs on
    slices of ~``block_pixels`` of them (smaller arrays: fewer cache misses).
    """
    counts = np.zeros((len(years), len(zones), 256), dtype=np.int64)
    geoms = [z.geometry for z in zones]
    window = src.window(tuple(shapely.total_bounds(np.array(geoms, dtype=object))))
    r0w, r1w, c0, c1 = window
    if r1w <= r0w or c1 <= c0:
        return counts
    counter = _Counter(src, geoms, counts)
    todo = blocks(window, block_pixels, chunk_rows or src.chunk_rows())
    step = max(1, block_pixels // (c1 - c0))
    for done, (r0, r1) in enumerate(todo, start=1):
        data = src.read(years, (r0, r1, c0, c1))
        for s in range(0, r1 - r0, step):
            counter.add(data[:, s : s + step], r0 + s, c0)
        if progress:
            progress(done, len(todo))
    return counts
