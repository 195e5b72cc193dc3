"""Pixels of a ``Plan`` from the years' COGs, at the overview level that fits the output.

The cost of a picture is bounded whatever its scale: for each output grid the finest
overview whose pixels are not smaller than the output's is chosen (so a zoom-0 tile over a
20000 px product reads a few hundred pixels, not 400 M), and only the window of that level
covering the output is decompressed. Overviews are made by mode (``landgrid.raster.cogs``),
so coarse levels still hold real class codes. At full resolution the result equals the
netCDF reader's bit for bit (same nearest-by-index rule on the same pixels).

Reads go through GDAL with one dataset per thread and no lock: they run in parallel on
every core, unlike the netCDF store whose HDF5 calls take turns. A year without a current
COG (a store made before COGs, or during its rebuild) is read from the store instead.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.windows import Window

from landgrid.coverage import reader
from landgrid.coverage.plan import Grid, Plan
from landgrid.raster.cogs import current_cog
from landgrid.raster.product import RasterProduct

BLOCK = 1 << 18  # output pixels resampled at a time (index arrays: ~24 bytes a pixel)
_local = threading.local()


@dataclass(frozen=True)
class Level:
    """One level of a COG: ``index`` -1 is full resolution, then the overviews."""

    index: int
    transform: Affine
    width: int
    height: int

    @property
    def resolution(self) -> float:
        return self.transform.a


def read(store: Path, plan: Plan) -> np.ndarray:
    """The planned coverage as uint8 ``(years, height, width)``."""
    out = np.empty((len(plan.years), plan.grid.height, plan.grid.width), dtype=np.uint8)
    for i, (year, t) in enumerate(zip(plan.years, plan.time_indices, strict=True)):
        cog = current_cog(store, year)
        if cog is None:
            one = Plan(plan.product, (year,), (t,), plan.grid, plan.window)
            out[i] = reader.read(store, one)[0]
        else:
            out[i] = read_grid(cog, plan.product, plan.grid, plan.window)
    return out


def read_grid(
    cog: Path,
    product: RasterProduct,
    grid: Grid,
    window: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """The COG's pixels on ``grid`` (nearest neighbour, nodata outside the product);
    ``window`` (r0, r1, c0, c1): the grid is that native window, read as it is."""
    levels = _levels(cog)
    if window is not None:
        r0, r1, c0, c1 = window
        return _dataset(cog, levels[0]).read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
    out = np.full((grid.height, grid.width), product.nodata, dtype=np.uint8)
    native = grid.crs == product.crs and grid.transform.b == 0 and grid.transform.d == 0
    to_native = None if native else _transformer(grid.crs, product.crs)
    level = _level(levels, _output_resolution(grid, to_native))
    step = max(1, BLOCK // max(grid.width, 1))
    for b0 in range(0, grid.height, step):
        b1 = min(grid.height, b0 + step)
        rows, cols = _indices(grid, level, b0, b1, to_native)
        _gather(cog, level, rows, cols, out[b0:b1])
    return out


def _indices(
    grid: Grid, level: Level, row0: int, row1: int, to_native: Transformer | None
) -> tuple[np.ndarray, np.ndarray]:
    """Level (row, col) of the centres of output rows ``row0:row1``; -1 outside. In the
    product's CRS they are separable: rows (n, 1) and cols (1, w), broadcast by the caller."""
    t, lt = grid.transform, level.transform
    xs = t.c + (np.arange(grid.width) + 0.5) * t.a
    ys = t.f + (np.arange(row0, row1) + 0.5) * t.e
    if to_native is None:
        x2, y2 = xs[None, :], ys[:, None]
    else:
        gx, gy = np.meshgrid(xs, ys)
        x2, y2 = to_native.transform(gx, gy)
    with np.errstate(invalid="ignore"):
        cols = np.floor((x2 - lt.c) / lt.a + 1e-10)
        rows = np.floor((y2 - lt.f) / lt.e + 1e-10)
        bad_c = ~np.isfinite(cols) | (cols < 0) | (cols >= level.width)
        bad_r = ~np.isfinite(rows) | (rows < 0) | (rows >= level.height)
    cols = np.where(bad_c, -1, cols).astype(np.int64)
    rows = np.where(bad_r, -1, rows).astype(np.int64)
    return rows, cols


def _gather(cog: Path, level: Level, rows: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (a block of output rows) from the window of ``level`` they need."""
    rows, cols = np.broadcast_arrays(rows, cols)
    valid = (rows >= 0) & (cols >= 0)
    if not valid.any():
        return
    vr, vc = rows[valid], cols[valid]
    r0, r1, c0, c1 = int(vr.min()), int(vr.max()) + 1, int(vc.min()), int(vc.max()) + 1
    block = _dataset(cog, level).read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
    out[valid] = block[vr - r0, vc - c0]


def _output_resolution(grid: Grid, to_native: Transformer | None) -> float:
    """Size of an output pixel in the product's CRS units: the smallest spacing between
    neighbouring pixel centres at the grid's corners and centre (so no part is undersampled
    by more than the overview step)."""
    t = grid.transform
    if to_native is None:
        return min(abs(t.a), abs(t.e))
    cols = np.array([0, grid.width // 2, max(grid.width - 2, 0)], dtype=float) + 0.5
    rows = np.array([0, grid.height // 2, max(grid.height - 2, 0)], dtype=float) + 0.5
    cc, rr = (a.ravel() for a in np.meshgrid(cols, rows))
    sizes = []
    for dc, dr in ((1.0, 0.0), (0.0, 1.0)):
        x0, y0 = t * (cc, rr)
        x1, y1 = t * (cc + dc, rr + dr)
        a = np.array(to_native.transform(x0, y0))
        b = np.array(to_native.transform(x1, y1))
        sizes.append(np.hypot(*(b - a)))
    spacing = np.concatenate(sizes)
    spacing = spacing[np.isfinite(spacing) & (spacing > 0)]
    return float(spacing.min()) if spacing.size else float("inf")


def _level(levels: list[Level], resolution: float) -> Level:
    """The coarsest level whose pixels are not larger than the output's."""
    fitting = [lv for lv in levels if lv.resolution <= resolution * (1 + 1e-9)]
    return max(fitting, key=lambda lv: lv.resolution) if fitting else levels[0]


def _levels(cog: Path) -> list[Level]:
    """Full resolution then each overview (cached per version of the file)."""
    key = _key(cog)
    cache = _local.__dict__.setdefault("levels", {})
    hit = cache.get(cog)
    if hit and hit[0] == key:
        return hit[1]
    with rasterio.open(cog) as ds:
        base = ds.transform
        levels = [Level(-1, base, ds.width, ds.height)]
        for i, factor in enumerate(ds.overviews(1)):
            w, h = -(-ds.width // factor), -(-ds.height // factor)
            scale = Affine.scale(ds.width / w, ds.height / h)
            levels.append(Level(i, base * scale, w, h))
    cache[cog] = (key, levels)
    return levels


def _dataset(cog: Path, level: Level) -> rasterio.io.DatasetReader:
    """This thread's open handle on one level of the COG (GDAL: one handle per thread)."""
    key = (_key(cog), level.index)
    cache = _local.__dict__.setdefault("datasets", {})
    hit = cache.get((cog, level.index))
    if hit and hit[0] == key:
        return hit[1]
    if hit:
        hit[1].close()
    extra = {} if level.index < 0 else {"overview_level": level.index}
    ds = rasterio.open(cog, **extra)
    cache[(cog, level.index)] = (key, ds)
    return ds


def _transformer(src: CRS, dst: CRS) -> Transformer:
    """This thread's transformer (pyproj transformers are not shared between threads)."""
    cache = _local.__dict__.setdefault("transformers", {})
    key = (src.srs, dst.srs)
    if key not in cache:
        cache[key] = Transformer.from_crs(src, dst, always_xy=True)
    return cache[key]


def _key(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)
