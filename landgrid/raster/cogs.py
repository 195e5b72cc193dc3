"""One Cloud-Optimised GeoTIFF per year beside a product's store: the read path of pictures.

The netCDF store stays the product of record; each of its years is also written as a COG in
``<store>.cogs/<year>.tif`` (512 px tiles, DEFLATE, the legend's colour table, nodata) with
overviews made by **mode**, so every overview pixel is the most frequent class code of the
pixels it covers, never an average of codes. Tiles, maps and resampled coverage requests
read the overview whose pixels fit the output (``landgrid.coverage.pyramid``), so their cost
is bounded at every zoom; GDAL reads them with one dataset per thread and no process-wide
lock, unlike netCDF/HDF5. The same files are the whole-year downloads.

Freshness: a COG is current when it is not older than its store. ``ingest_year`` builds the
COG of the year it wrote after renaming the store and touches the (still valid) COGs of the
other years, so a crash in between leaves COGs that read as stale, never wrong; readers then
fall back to the store, and the next ``build_cogs`` (or ingestion) rebuilds them. Every file
is written beside its final path and renamed over it, so a reader sees a whole COG or none.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import netCDF4
import numpy as np
import rasterio
import rasterio.shutil

from landgrid.raster.layout import LOCK, VARIABLE, years_of
from landgrid.raster.product import RasterProduct

Progress = Callable[[int, int], None]
BLOCK = 512  # COG tile size; also the rows written to the intermediate file at a time
SMALLEST = 256  # overviews halve the size until the longer side is at most this
COG_OPTIONS = {
    "driver": "COG",
    "COMPRESS": "DEFLATE",
    "LEVEL": "6",
    "BLOCKSIZE": str(BLOCK),
    "OVERVIEW_RESAMPLING": "MODE",
    "NUM_THREADS": "ALL_CPUS",
    "BIGTIFF": "IF_SAFER",
}


def cog_dir(store: Path) -> Path:
    """The folder of a store's COGs (``clcplus-backbone.nc`` -> ``clcplus-backbone.cogs``)."""
    store = Path(store)
    return store.with_name(f"{store.stem}.cogs")


def cog_path(store: Path, year: int) -> Path:
    """Where the COG of ``year`` lives (whether or not it exists yet)."""
    return cog_dir(store) / f"{year}.tif"


def is_current(store: Path, year: int) -> bool:
    """Is the COG of ``year`` there and not older than the store?"""
    try:
        return cog_path(store, year).stat().st_mtime_ns >= Path(store).stat().st_mtime_ns
    except FileNotFoundError:
        return False


def current_cog(store: Path, year: int) -> Path | None:
    """The COG of ``year`` if it is current, else None (read the store instead)."""
    return cog_path(store, year) if is_current(store, year) else None


def keep(store: Path, years: Iterable[int]) -> None:
    """Mark the COGs of ``years`` current again after the store was replaced without
    changing those years (ingestion of another year)."""
    for year in years:
        path = cog_path(store, year)
        if path.exists():
            os.utime(path)


def build_cogs(
    product: RasterProduct,
    store: Path,
    years: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """(Re)build the COGs of ``years`` (default: every year of the store whose COG is
    missing or stale) from the store; returns their paths, oldest year first."""
    store = Path(store)
    with LOCK, netCDF4.Dataset(store) as ds:
        stored = years_of(ds)
        height = ds.dimensions["y"].size
    wanted = (
        sorted(set(years)) if years is not None else [y for y in stored if not is_current(store, y)]
    )
    missing = [y for y in wanted if y not in stored]
    if missing:
        raise ValueError(f"{store}: no year {missing} in the store (it has {stored})")
    blocks = -(-height // BLOCK)
    total, done = len(wanted) * (blocks + 1), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    cog_dir(store).mkdir(parents=True, exist_ok=True)
    return [_build(product, store, stored.index(y), y, tick) for y in wanted]


def _build(
    product: RasterProduct, store: Path, index: int, year: int, tick: Callable[[], None]
) -> Path:
    final = cog_path(store, year)
    source = final.with_name(f".{year}.{os.getpid()}.source.tif")
    partial = final.with_name(f".{year}.{os.getpid()}.partial.tif")
    try:
        _write_source(product, store, index, year, source, tick)
        with rasterio.open(source) as src:
            count = max(0, math.ceil(math.log2(max(src.width, src.height) / SMALLEST)))
            rasterio.shutil.copy(src, partial, OVERVIEW_COUNT=str(count), **COG_OPTIONS)
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(partial, final)
        tick()
    finally:
        source.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return final


def _write_source(
    product: RasterProduct,
    store: Path,
    index: int,
    year: int,
    path: Path,
    tick: Callable[[], None],
) -> None:
    """The year as a tiled GeoTIFF with its colour table, read from the store in row blocks
    (memory: one block of ``BLOCK`` rows x the width)."""
    profile = {
        "driver": "GTiff",
        "width": product.width,
        "height": product.height,
        "count": 1,
        "dtype": "uint8",
        "crs": product.crs.to_wkt(),
        "transform": product.transform,
        "nodata": product.nodata,
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "DEFLATE",
        "zlevel": 1,
        "BIGTIFF": "IF_SAFER",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write_colormap(1, product.colormap)
        dst.set_band_description(1, str(year))
        dst.update_tags(1, YEAR=str(year))
        dst.update_tags(
            PRODUCT=product.id,
            TITLE=product.title,
            LICENSE=product.licence,
            YEAR=str(year),
            **{f"CLASS_{c.code}": c.label for c in product.legend},
        )
        for r0 in range(0, product.height, BLOCK):
            r1 = min(r0 + BLOCK, product.height)
            with LOCK, netCDF4.Dataset(store) as ds:
                ds.set_auto_maskandscale(False)
                rows = np.asarray(ds[VARIABLE][index, r0:r1, :])
            dst.write(rows, 1, window=((r0, r1), (0, product.width)))
            tick()
