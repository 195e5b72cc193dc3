"""Pixels of a ``Plan`` from the product's CF netCDF store.

Open datasets are cached per process (pygeoapi and our routes would otherwise reopen the
file per request) and reopened when ingestion replaced the file (new inode/mtime) or after
a fork. netCDF-C/HDF5 are not thread-safe, so every call into them holds one process-wide
lock; index arithmetic, transformations and encoding run outside it.

Resampling is nearest neighbour by index: each output pixel centre is mapped (exactly, with
PROJ, no approximation) to the native grid and takes the value of the pixel it falls in,
which is what GDAL's nearest warp does with ``tolerance=0``. Only the cells that are needed
are read: the covering window when it is small, else the needed rows x columns. Resampled
output is produced in blocks of ``BLOCK`` pixels, so the index arrays (16+ bytes per pixel)
exist for one block at a time: memory stays ~1 byte per output pixel plus one block.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import netCDF4
import numpy as np
from pyproj import Transformer

from landgrid.coverage.plan import Plan
from landgrid.raster.layout import LOCK, VARIABLE, years_of

BLOCK = 1 << 18  # output pixels resampled at a time
# HDF5's decompressed-chunk cache per open store (netCDF-C's default is 64 MB): 16 MB holds
# 64 chunks of 512 x 512, a 8192 px wide band of chunks twice over, which is what row-block
# reads revisit; the rest would only raise every worker's memory.
CHUNK_CACHE = 16 << 20
WINDOW_MIN = 1 << 20  # a covering window this small is read whole, however sparse the need
SEGMENT = 8192  # columns per rectangle of a sparse read: <= 4 MB for 512-row chunks
_OPEN: dict[Path, tuple[tuple[int, ...], netCDF4.Dataset, list[int]]] = {}


def _dataset(path: Path) -> tuple[netCDF4.Dataset, list[int]]:
    """The cached open store (caller holds ``LOCK``)."""
    st = os.stat(path)
    key = (os.getpid(), st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _OPEN.get(path)
    if cached and cached[0] == key:
        return cached[1], cached[2]
    if cached and cached[0][0] == os.getpid():
        cached[1].close()
    ds = netCDF4.Dataset(path)
    ds.set_auto_maskandscale(False)
    ds[VARIABLE].set_var_chunk_cache(size=CHUNK_CACHE)
    years = years_of(ds)
    _OPEN[path] = (key, ds, years)
    return ds, years


def years(path: Path) -> list[int]:
    """Years in the store, in time order (cached with the open dataset; a cached answer
    takes no lock, so tiles never wait behind another thread's netCDF read)."""
    path = Path(path)
    st = os.stat(path)
    cached = _OPEN.get(path)
    if cached and cached[0] == (os.getpid(), st.st_ino, st.st_mtime_ns, st.st_size):
        return list(cached[2])
    with LOCK:
        return list(_dataset(path)[1])


def read(path: Path, plan: Plan, check: Callable[[], None] = lambda: None) -> np.ndarray:
    """The planned coverage as uint8 ``(years, height, width)``; ``check`` runs between
    years and blocks of rows (a job's stop signal)."""
    path = Path(path)
    g = plan.grid
    if plan.window is not None:
        r0, r1, c0, c1 = plan.window

        def layer(t: int) -> np.ndarray:
            with LOCK:
                return np.asarray(_dataset(path)[0][VARIABLE][t, r0:r1, c0:c1])

        if len(plan.time_indices) == 1:  # netCDF4's array as it comes: no copy
            return layer(plan.time_indices[0])[None]
        out = np.empty((len(plan.time_indices), r1 - r0, c1 - c0), dtype=np.uint8)
        for i, t in enumerate(plan.time_indices):  # one year's copy in flight
            check()
            out[i] = layer(t)
        return out
    out = np.empty((len(plan.time_indices), g.height, g.width), dtype=np.uint8)
    to_native = (
        None if plan.native else Transformer.from_crs(g.crs, plan.product.crs, always_xy=True)
    )
    step = max(1, BLOCK // max(g.width, 1))
    for b0 in range(0, g.height, step):
        check()
        b1 = min(g.height, b0 + step)
        rows, cols = source_indices(plan, b0, b1, to_native)
        out[:, b0:b1] = gather(path, plan, rows, cols)
    return out


def source_indices(
    plan: Plan, row0: int, row1: int, to_native: Transformer | None
) -> tuple[np.ndarray, np.ndarray]:
    """Native (row, col) of the centres of output rows ``row0:row1``; -1 where outside the
    product. ``to_native`` maps the output CRS to the product's (None: the same CRS)."""
    p, g = plan.product, plan.grid
    t = g.transform
    xs = t.c + (np.arange(g.width) + 0.5) * t.a
    ys = t.f + (np.arange(row0, row1) + 0.5) * t.e
    if to_native is None:
        xs2, ys2 = xs[None, :], ys[:, None]
    else:
        gx, gy = np.meshgrid(xs, ys)
        xs2, ys2 = to_native.transform(gx, gy)
    cols = np.floor((xs2 - p.extent.xmin) / p.resolution + 1e-10)
    rows = np.floor((p.extent.ymax - ys2) / p.resolution + 1e-10)
    rows, cols = np.broadcast_arrays(rows, cols)
    bad = ~(np.isfinite(rows) & np.isfinite(cols))
    bad |= (rows < 0) | (rows >= p.height) | (cols < 0) | (cols >= p.width)
    rows = np.where(bad, -1, rows).astype(np.int64)
    cols = np.where(bad, -1, cols).astype(np.int64)
    return rows, cols


def gather(path: Path, plan: Plan, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.full((len(plan.time_indices), *rows.shape), plan.product.nodata, dtype=np.uint8)
    valid = rows >= 0
    if not valid.any():
        return out
    vr, vc = rows[valid], cols[valid]
    r0, r1, c0, c1 = int(vr.min()), int(vr.max()) + 1, int(vc.min()), int(vc.max()) + 1
    budget = max(4 * rows.size, WINDOW_MIN)
    if (r1 - r0) * (c1 - c0) <= budget:
        with LOCK:
            var = _dataset(path)[0][VARIABLE]
            blocks = [np.asarray(var[t, r0:r1, c0:c1]) for t in plan.time_indices]
        for i, block in enumerate(blocks):
            out[i][valid] = block[vr - r0, vc - c0]
        return out
    urows, ucols = np.unique(vr), np.unique(vc)
    ri, ci = np.searchsorted(urows, vr), np.searchsorted(ucols, vc)
    for i, t in enumerate(plan.time_indices):
        out[i][valid] = sparse(path, t, urows, ucols)[ri, ci]
    return out


def sparse(path: Path, t: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Layer ``t`` at the sorted, unique ``rows`` x ``cols``, when they are spread thin.

    Read by rectangles of whole chunk rows x ``SEGMENT`` columns holding needed cells, each
    cut to the needed ones: every chunk is decompressed about once, whatever the cache
    size, and the data in flight is one rectangle (netCDF4's list indexing instead reads
    cell runs one by one: minutes for a 1024 px overview of a 20000 px product).
    """
    with LOCK:
        var = _dataset(path)[0][VARIABLE]
        chunking = var.chunking()
    height = chunking[1] if isinstance(chunking, list) else 512
    out = np.empty((len(rows), len(cols)), dtype=np.uint8)
    row_groups = np.split(np.arange(len(rows)), np.flatnonzero(np.diff(rows // height)) + 1)
    col_groups = np.split(np.arange(len(cols)), np.flatnonzero(np.diff(cols // SEGMENT)) + 1)
    for rg in row_groups:
        rs = rows[rg]
        for cg in col_groups:
            cs = cols[cg]
            with LOCK:
                var = _dataset(path)[0][VARIABLE]
                part = np.asarray(var[t, rs[0] : rs[-1] + 1, cs[0] : cs[-1] + 1])
            out[rg[0] : rg[-1] + 1, cg[0] : cg[-1] + 1] = part[np.ix_(rs - rs[0], cs - cs[0])]
    return out
