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
LATTICE = 16  # output pixels between exactly transformed points
TOLERANCE = 0.125  # largest interpolation error, in pixels of the level read (GDAL warp default)
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
    part = None if native else _footprint(grid, product)
    if part is not None:  # the product covers part of the grid: only that part is read
        r0, r1, c0, c1 = part
        if r0 < r1 and c0 < c1:
            sub = Grid(grid.crs, grid.transform * Affine.translation(c0, r0), c1 - c0, r1 - r0)
            out[r0:r1, c0:c1] = read_grid(cog, product, sub)
        return out
    level = _level(levels, _output_resolution(grid, to_native))
    step = max(1, BLOCK // max(grid.width, 1))
    for b0 in range(0, grid.height, step):
        b1 = min(grid.height, b0 + step)
        rows, cols = _indices(grid, level, b0, b1, to_native)
        _gather(cog, level, rows, cols, out[b0:b1])
    return out


def _footprint(grid: Grid, product: RasterProduct) -> tuple[int, int, int, int] | None:
    """The grid's rows and columns (r0, r1, c0, c1) that the product's extent reaches (one
    pixel of margin), when that is less than the whole grid; None otherwise. A low-zoom
    tile then resamples the few pixels the product covers, not 65536."""
    try:
        x0, y0, x1, y1 = _transformer(product.crs, grid.crs).transform_bounds(
            *product.bounds, densify_pts=21
        )
    except Exception:  # PROJ raises several types: any means "do not clip"
        return None
    if not all(np.isfinite((x0, y0, x1, y1))):
        return None
    inverse = ~grid.transform
    (ca, ra), (cb, rb) = inverse * (x0, y1), inverse * (x1, y0)
    c0 = max(0, int(np.floor(min(ca, cb))) - 1)
    c1 = min(grid.width, int(np.ceil(max(ca, cb))) + 1)
    r0 = max(0, int(np.floor(min(ra, rb))) - 1)
    r1 = min(grid.height, int(np.ceil(max(ra, rb))) + 1)
    if (r0, r1, c0, c1) == (0, grid.height, 0, grid.width):
        return None
    return r0, max(r0, r1), c0, max(c0, c1)


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
        x2, y2 = _native_coords(to_native, xs, ys, level.resolution)
    with np.errstate(invalid="ignore"):
        cols = np.floor((x2 - lt.c) / lt.a + 1e-10)
        rows = np.floor((y2 - lt.f) / lt.e + 1e-10)
        bad_c = ~np.isfinite(cols) | (cols < 0) | (cols >= level.width)
        bad_r = ~np.isfinite(rows) | (rows < 0) | (rows >= level.height)
    cols = np.where(bad_c, -1, cols).astype(np.int64)
    rows = np.where(bad_r, -1, rows).astype(np.int64)
    return rows, cols


def _native_coords(
    to_native: Transformer, xs: np.ndarray, ys: np.ndarray, resolution: float
) -> tuple[np.ndarray, np.ndarray]:
    """The product-CRS coordinates of the grid ``xs`` x ``ys``, transformed exactly on a
    lattice of every ``LATTICE``-th pixel and bilinearly between (as GDAL's approximate
    transformer does: a 256 px tile then costs ~300 PROJ calls instead of 65536). Exact
    everywhere when the lattice misses a midpoint by more than ``TOLERANCE`` of a pixel of
    the level read (strong curvature, or the edge of the CRS's area)."""
    ci, ri = _lattice(len(xs)), _lattice(len(ys))
    if len(ci) * len(ri) * 4 >= len(xs) * len(ys):
        return to_native.transform(*np.meshgrid(xs, ys))
    lx, ly = to_native.transform(*np.meshgrid(xs[ci], ys[ri]))
    x2, y2 = _bilinear(lx, ci, ri, len(xs), len(ys)), _bilinear(ly, ci, ri, len(xs), len(ys))
    mc, mr = (ci[:-1] + ci[1:]) // 2, (ri[:-1] + ri[1:]) // 2
    ex, ey = to_native.transform(*np.meshgrid(xs[mc], ys[mr]))
    with np.errstate(invalid="ignore"):
        error = np.hypot(ex - x2[np.ix_(mr, mc)], ey - y2[np.ix_(mr, mc)])
    if not np.all(np.isfinite(error)) or error.max() > TOLERANCE * resolution:
        return to_native.transform(*np.meshgrid(xs, ys))
    return x2, y2


def _lattice(n: int) -> np.ndarray:
    return np.unique(np.r_[np.arange(0, n, LATTICE), n - 1])


def _bilinear(knots: np.ndarray, ci: np.ndarray, ri: np.ndarray, w: int, h: int) -> np.ndarray:
    """(h, w) values interpolated from ``knots`` at columns ``ci`` and rows ``ri``
    (elementwise: small matrix products pay BLAS's threads more than the work)."""
    cols = _between(ci, w)
    rows = _between(ri, h)
    across = knots[:, cols[0]] * (1 - cols[2]) + knots[:, cols[1]] * cols[2]
    return across[rows[0]] * (1 - rows[2])[:, None] + across[rows[1]] * rows[2][:, None]


def _between(knots: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every index 0..n-1: the knots (as positions in ``knots``) before and after it
    and its fraction of the way between them."""
    i = np.arange(n)
    k = np.clip(np.searchsorted(knots, i, side="right") - 1, 0, len(knots) - 2)
    return k, k + 1, (i - knots[k]) / (knots[k + 1] - knots[k])


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
        x0, y0 = t.c + cc * t.a + rr * t.b, t.f + cc * t.d + rr * t.e
        x1, y1 = x0 + dc * t.a + dr * t.b, y0 + dc * t.d + dr * t.e
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
        for i in range(len(ds.overviews(1))):
            with rasterio.open(cog, overview_level=i) as ovr:  # GDAL's own rounding of sizes
                w, h = ovr.width, ovr.height
            scale = Affine.scale(ds.width / w, ds.height / h)
            levels.append(Level(i, base @ scale, w, h))
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
