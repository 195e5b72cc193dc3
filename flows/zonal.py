"""Zonal class counts on the product grid: rasterise the zones, ``numpy.bincount`` per zone.

Rule (centre-in): a pixel belongs to a zone when its centre lies inside the zone's polygon
(GDAL's rasterisation without ``all_touched``). Every pixel of a zone is counted in exactly
one class (nodata and technical codes included), so a zone's class areas add up to its
rasterised area. Overlapping zones are rasterised in separate layers, so a pixel counts
once per zone that contains its centre.

Memory is bounded: the zones' window is processed in row blocks of ~``block_pixels``
pixels (at least one chunk row of the store, 512 rows, cut on chunk boundaries so each
compressed chunk is read once); a block holds the codes (1 byte/pixel/year), the zone
labels (4 bytes) and the bincount keys (8 bytes): ~``max(4 Mpx, 512 x width) * (13 +
years)`` bytes, e.g. ~140 MB for a 20000 px wide product, whatever the size of the zones.
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
    """Row blocks of at most ~``block_pixels``, cut on the store's chunk rows so that no
    compressed chunk is read twice (at least one chunk row per block)."""
    r0, r1, c0, c1 = window
    rows = max(1, block_pixels // max(1, c1 - c0))
    step = max(chunk, rows // chunk * chunk)
    cuts = [r0, *range((r0 // step + 1) * step, r1, step), r1]
    return list(itertools.pairwise(cuts))


def class_counts(
    src: Source,
    zones: list[Zone],
    years: list[int],
    progress: Progress | None = None,
    block_pixels: int = BLOCK_PIXELS,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """Pixel counts ``(years, zones, 256)``: pixels of code c in zone z for each year."""
    n = len(zones)
    counts = np.zeros((len(years), n, 256), dtype=np.int64)
    geoms = [z.geometry for z in zones]
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
    window = src.window((minx, miny, maxx, maxy))
    r0w, r1w, c0, c1 = window
    if r1w <= r0w or c1 <= c0:
        return counts
    p = src.product
    top = (p.extent.ymax - shapely.bounds(np.array(geoms, dtype=object))[:, 3]) / p.resolution
    bottom = (p.extent.ymax - shapely.bounds(np.array(geoms, dtype=object))[:, 1]) / p.resolution
    groups = layers(geoms)
    todo = blocks(window, block_pixels, chunk_rows or src.chunk_rows())
    for done, (r0, r1) in enumerate(todo, start=1):
        data = src.read(years, (r0, r1, c0, c1))
        transform = p.transform @ Affine.translation(c0, r0)
        for group in groups:
            inside = [i for i in group if top[i] < r1 and bottom[i] > r0]
            if not inside:
                continue
            labels = rasterize(
                ((geoms[i], i + 1) for i in inside),
                out_shape=data.shape[1:],
                transform=transform,
                fill=0,
                dtype="int32",
            )
            keys = labels.astype(np.int64).ravel()
            keys <<= 8  # key = zone * 256 + code, built in place
            for y in range(len(years)):
                keys += data[y].ravel()
                binned = np.bincount(keys, minlength=(n + 1) * 256)
                keys -= data[y].ravel()
                counts[y] += binned[256 : (n + 1) * 256].reshape(n, 256)
        if progress:
            progress(done, len(todo))
    return counts
