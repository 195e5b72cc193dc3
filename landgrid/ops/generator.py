"""Deterministic synthetic CLC+ Backbone land cover, for demos and benchmarks.

Every pixel is a function of its global (row, col), the seed and the year only: smooth random
fields are value noise whose lattice values come from a counter-based hash of the lattice
indices, interpolated at global pixel centres with plain elementwise numpy (no BLAS, no
reductions). So a window computed alone equals the same window cut from a whole map, bit for
bit, and a 20000 x 20000 product is written tile by tile in bounded memory.

Change between years comes from thresholds that move steadily with the year on fixed fields:
sealed areas grow at their edges, forest blocks are cleared to herbaceous cover, permanent
grassland patches turn into cropland. The change between two years is small, local and
monotonic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from statistics import NormalDist

import numpy as np
import rasterio
from rasterio.windows import Window

from landgrid.raster.product import RasterProduct

Progress = Callable[[int, int], None]

SEALED, NEEDLE, DECIDUOUS, EVERGREEN, LOW_WOODY = 1, 2, 3, 4, 5
GRASS, CROP, LICHENS, SPARSE, WATER, SNOW = 6, 7, 8, 9, 10, 11
CODES = (SEALED, NEEDLE, DECIDUOUS, EVERGREEN, LOW_WOODY, GRASS, CROP, LICHENS, SPARSE, WATER, SNOW)

# Std of one octave of value noise with uniform [0, 1) lattice values and smoothstep weights:
# sqrt(1/12) * E[(1 - s)^2 + s^2] with s = 3t^2 - 2t^3, t ~ U(0, 1); that mean is 26/35.
_OCTAVE_STD = (26 / 35) / np.sqrt(12)
_M64 = (1 << 64) - 1
BLOCK = 1024


def _z(fraction: float) -> float:
    """Threshold on a standardised field above which lies ``fraction`` of the area."""
    return NormalDist().inv_cdf(1.0 - min(max(fraction, 1e-6), 1 - 1e-6))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a good 64-bit hash, cheap in numpy (uint64 wraps silently)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _lattice(iy: np.ndarray, ix: np.ndarray, salt: int) -> np.ndarray:
    """Uniform [0, 1) values for lattice nodes (iy x ix), fixed by indices and salt."""
    h = (iy.astype(np.uint64)[:, None] * np.uint64(0x9E3779B97F4A7C15)) ^ (
        ix.astype(np.uint64)[None, :] * np.uint64(0xC2B2AE3D27D4EB4F)
    )
    h = _mix(h ^ np.uint64(salt))
    return ((h >> np.uint64(40)).astype(np.float32)) * np.float32(2.0**-24)


def _axis(start: int, size: int, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower lattice index and smoothstep weight of each pixel centre along one axis."""
    pos = (np.arange(start, start + size, dtype=np.float64) + 0.5) / spacing
    i0 = np.floor(pos)
    t = pos - i0
    return i0.astype(np.int64), (t * t * (3.0 - 2.0 * t)).astype(np.float32)


@dataclass(frozen=True)
class _Window:
    row: int
    col: int
    height: int
    width: int


class LandCoverGenerator:
    """Synthetic land cover on an unbounded pixel grid; ``scale`` stretches every feature."""

    def __init__(self, seed: int, *, scale: float = 1.0, base_year: int = 2018) -> None:
        self.seed = seed
        self.scale = scale
        self.base_year = base_year

    def _salt(self, field: int, octave: int) -> int:
        x = (self.seed * 0x100000001B3 + field * 0x9E37 + octave * 0x85EB) & _M64
        return int(_mix(np.array([x], dtype=np.uint64))[0])

    def _field(self, w: _Window, field: int, spacing: float, octaves: int) -> np.ndarray:
        """Fractal value noise, standardised to mean 0 and std about 1."""
        total = np.zeros((w.height, w.width), dtype=np.float32)
        amp, var = 1.0, 0.0
        for octave in range(octaves):
            step = spacing * self.scale / 2**octave
            iy, wy = _axis(w.row, w.height, step)
            ix, wx = _axis(w.col, w.width, step)
            ky, kx = iy[0], ix[0]
            grid = _lattice(
                np.arange(ky, iy[-1] + 2), np.arange(kx, ix[-1] + 2), self._salt(field, octave)
            )
            cols = ix - kx
            left = grid[:, cols]
            along_x = left + (grid[:, cols + 1] - left) * wx
            along_x = (along_x - np.float32(0.5)) * np.float32(amp)
            diff = along_x[1:] - along_x[:-1]
            # Rows between two lattice rows share (top, diff): add them band by band, with
            # broadcasting instead of gathering full-size copies.
            rows = iy - ky
            cuts = [0, *(np.flatnonzero(np.diff(rows)) + 1).tolist(), w.height]
            for r0, r1 in pairwise(cuts):
                band = total[r0:r1]
                band += along_x[rows[r0]]
                band += diff[rows[r0]] * wy[r0:r1, None]
            var += amp * amp
            amp *= 0.5
        total *= np.float32(1.0 / (_OCTAVE_STD * np.sqrt(var)))
        return total

    def window(self, year: int, row_off: int, col_off: int, height: int, width: int) -> np.ndarray:
        """Class codes (uint8) of a window of the global grid for one year."""
        if row_off < 0 or col_off < 0 or height <= 0 or width <= 0:
            raise ValueError("window offsets must be >= 0 and sizes > 0")
        out = np.empty((height, width), dtype=np.uint8)
        # Pixels do not depend on the window, so work in cache-friendly blocks (2x faster).
        for b in _blocks(height, width, BLOCK):
            w = _Window(row_off + b.row, col_off + b.col, b.height, b.width)
            out[b.row : b.row + b.height, b.col : b.col + b.width] = self._classes(year, w)
        return out

    def _classes(self, year: int, w: _Window) -> np.ndarray:
        dt = np.float32(year - self.base_year)
        terrain = self._field(w, 1, 1024, 5)
        veg = self._field(w, 2, 256, 5) * np.float32(0.8) + terrain * np.float32(0.6)
        urban = self._field(w, 3, 512, 4) - terrain * np.float32(0.5)
        lake = self._field(w, 4, 384, 4)
        river = self._field(w, 5, 1536, 3)
        kind = self._field(w, 6, 192, 3)
        crops = self._field(w, 7, 96, 3)
        active = self._field(w, 8, 64, 2)  # where change happens (development, harvest)
        cuts = self._field(w, 9, 24, 2)  # forest cut blocks

        # Later assignments win: water > sealed > mountain classes > woody > herbaceous.
        out = np.full((w.height, w.width), GRASS, dtype=np.uint8)
        cropland = crops + np.float32(0.05) * dt * np.maximum(active, 0) > _z(0.45)
        out[cropland] = CROP
        forest = veg > _z(0.38)
        out[(veg > _z(0.42)) & ~forest] = LOW_WOODY
        cleared = cuts > _z(0.03 + 0.004 * float(dt))
        forest &= ~cleared
        out[forest] = DECIDUOUS
        out[forest & (kind > _z(0.40))] = NEEDLE
        out[forest & (kind < -_z(0.04))] = EVERGREEN
        out[terrain > _z(0.035)] = LICHENS
        out[terrain > _z(0.025)] = SPARSE
        out[terrain > _z(0.006)] = SNOW
        growth = np.float32(0.045) * dt * np.maximum(active + np.float32(0.3), 0)
        out[urban + growth > _z(0.05)] = SEALED
        out[(lake > _z(0.015)) | (np.abs(river) < np.float32(0.012))] = WATER
        return out


def generate_year(
    year: int,
    seed: int,
    width: int,
    height: int,
    *,
    row_off: int = 0,
    col_off: int = 0,
    scale: float = 1.0,
) -> np.ndarray:
    """Land cover of one year for a window (whole map by default); same seed, same pixels."""
    return LandCoverGenerator(seed, scale=scale).window(year, row_off, col_off, height, width)


def _blocks(height: int, width: int, block: int) -> list[_Window]:
    return [
        _Window(r, c, min(block, height - r), min(block, width - c))
        for r in range(0, height, block)
        for c in range(0, width, block)
    ]


def write_geotiff(
    path: Path,
    product: RasterProduct,
    year: int,
    seed: int,
    width: int | None = None,
    height: int | None = None,
    progress: Progress | None = None,
    *,
    block: int = BLOCK,
    scale: float = 1.0,
    workers: int = 1,
) -> Path:
    """Write one synthetic year as a tiled, compressed GeoTIFF on the product's grid.

    The raster starts at the product's top-left corner and may be larger or smaller than the
    product (``width``/``height`` in pixels), which is how benchmark-sized files are made.
    Blocks are generated by ``workers`` threads (numpy releases the GIL) and written in
    order; at most ``2 * workers`` blocks are held in memory.
    """
    if not set(CODES) <= set(product.codes):
        raise ValueError(f"product {product.id!r} lacks CLC+ Backbone codes {CODES}")
    width = width or product.width
    height = height or product.height
    generator = LandCoverGenerator(seed, scale=scale)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint8",
        "crs": product.crs.to_wkt(),
        "transform": product.transform,
        "nodata": product.nodata,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "bigtiff": "if_safer",
        "num_threads": "all_cpus",
    }
    blocks = _blocks(height, width, block)
    with rasterio.open(path, "w", **profile) as dst, ThreadPoolExecutor(workers) as pool:
        dst.write_colormap(1, product.colormap)
        dst.update_tags(
            product=product.id, year=str(year), seed=str(seed), generator="landgrid.ops.generator"
        )
        pending: deque[tuple[_Window, Future[np.ndarray]]] = deque()
        done = 0
        for b in [*blocks, None]:
            if b is not None:
                pending.append(
                    (b, pool.submit(generator.window, year, b.row, b.col, b.height, b.width))
                )
            while pending and (b is None or len(pending) >= 2 * workers):
                w, future = pending.popleft()
                dst.write(future.result(), 1, window=Window(w.col, w.row, w.width, w.height))
                done += 1
                if progress:
                    progress(done, len(blocks))
    return path
