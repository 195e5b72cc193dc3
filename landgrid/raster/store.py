"""Raster product storage: one CF-1.8 netCDF4 file per product, one time slice per year.

Layout: ``land_cover(time, y, x)`` uint8 on the product grid (pixel-centre ``x``/``y`` in
metres, north to south), ``time`` unlimited and kept sorted, each value the 1 January of the
reference year with ``time_bnds`` spanning the whole year (a land-cover map describes a year,
not an instant). Chunks are (1, chunk, chunk) and zlib-compressed, so a spatial window of one
year reads only the chunks it covers. A ``crs`` grid-mapping variable carries the full CRS
(CF attributes from pyproj, ``crs_wkt``, and GDAL's ``spatial_ref``/``GeoTransform``), so
xarray, GDAL and QGIS agree on the georeferencing.

Ingestion (``ingest_year``) validates the whole source before touching the store, then writes
into a copy of the store and renames it over the original (see ``ingest_year``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import netCDF4
import numpy as np
import xarray as xr

from landgrid.errors import LandgridError
from landgrid.raster import cogs
from landgrid.raster.layout import VARIABLE, years_of
from landgrid.raster.product import RasterProduct, flag_meaning
from landgrid.raster.sourcefile import (
    IngestCRSError,
    IngestError,
    IngestExtentError,
    IngestSourceError,
    IngestValueError,
    IngestYearError,
    check_georef,
    check_values,
    check_year,
    open_source,
    source_blocks,
    warp_block,
)

__all__ = [
    "IngestCRSError",
    "IngestError",
    "IngestExtentError",
    "IngestReport",
    "IngestSourceError",
    "IngestValueError",
    "IngestYearError",
    "StoreError",
    "YearExists",
    "check_store",
    "create_store",
    "ingest_year",
    "open_store",
    "store_years",
]

TIME_UNITS = "days since 1970-01-01"
CALENDAR = "proleptic_gregorian"
Progress = Callable[[int, int], None]


class StoreError(LandgridError):
    """The store is missing, already exists, or does not match its product."""


class YearExists(StoreError):
    """The year to ingest is in the store already, and replacing it was not asked for."""


def _now() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"


def _days(year: int) -> int:
    return (dt.date(year, 1, 1) - dt.date(1970, 1, 1)).days


def _cf_crs_attrs(product: RasterProduct) -> dict[str, object]:
    attrs = {k: v for k, v in product.crs.to_cf().items() if v is not None}
    wkt = product.crs.to_wkt()
    t = product.transform
    attrs.update(
        crs_wkt=wkt,
        spatial_ref=wkt,
        GeoTransform=" ".join(repr(float(v)) for v in (t.c, t.a, t.b, t.f, t.d, t.e)),
        long_name="coordinate reference system",
    )
    return attrs


def _variable_attrs(product: RasterProduct) -> dict[str, object]:
    entries = [c for c in product.legend if not c.nodata]
    return {
        "long_name": f"{product.title}: land cover class",
        "units": "1",  # dimensionless; pygeoapi's xarray provider skips fields without units
        "grid_mapping": "crs",
        "flag_values": np.array([c.code for c in entries], dtype=np.uint8),
        "flag_meanings": " ".join(flag_meaning(c.label) for c in entries),
        "flag_colors": " ".join(c.colour.upper() for c in entries),
        "coverage_content_type": "thematicClassification",
    }


def _global_attrs(product: RasterProduct) -> dict[str, object]:
    return {
        "Conventions": "CF-1.8",
        "title": product.title,
        "summary": product.description,
        "keywords": ", ".join(product.keywords),
        "license": product.licence,
        "institution": product.provider.name,
        "source": f"{product.provider.name} ({product.provider.url})",
        "references": product.provider.url,
        "product_id": product.id,
        "history": f"{_now()} created by landgrid",
    }


def create_store(
    product: RasterProduct, path: Path, *, chunk: int = 512, complevel: int = 4
) -> Path:
    """Create an empty store (no year yet) on the product's grid; refuse to overwrite."""
    path = Path(path)
    if path.exists():
        raise StoreError(f"{path}: store already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.creating")
    try:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as ds:
            ds.setncatts(_global_attrs(product))
            ds.createDimension("time", None)
            ds.createDimension("nv", 2)
            ds.createDimension("y", product.height)
            ds.createDimension("x", product.width)
            time = ds.createVariable("time", "i4", ("time",))
            time.setncatts(
                {
                    "standard_name": "time",
                    "long_name": "start of reference year",
                    "units": TIME_UNITS,
                    "calendar": CALENDAR,
                    "axis": "T",
                    "bounds": "time_bnds",
                }
            )
            ds.createVariable("time_bnds", "i4", ("time", "nv"))
            for name, values in (("y", product.y_coords()), ("x", product.x_coords())):
                var = ds.createVariable(name, "f8", (name,))
                var.setncatts(
                    {
                        "standard_name": f"projection_{name}_coordinate",
                        "long_name": f"{name} coordinate of projection",
                        "units": "m",
                        "axis": name.upper(),
                    }
                )
                var[:] = values
            crs = ds.createVariable("crs", "i4")
            crs.setncatts(_cf_crs_attrs(product))
            var = ds.createVariable(
                VARIABLE,
                "u1",
                ("time", "y", "x"),
                zlib=True,
                complevel=complevel,
                chunksizes=(1, min(chunk, product.height), min(chunk, product.width)),
                fill_value=np.uint8(product.nodata),
            )
            var.setncatts(_variable_attrs(product))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def open_store(path: Path, *, masked: bool = False) -> xr.Dataset:
    """Open a store with xarray; ``masked=False`` keeps uint8 codes (nodata stays 255)."""
    return xr.open_dataset(path, mask_and_scale=masked, decode_coords="all")


def store_years(path: Path) -> list[int]:
    """Years present in a store, in time order."""
    with netCDF4.Dataset(path) as ds:
        return years_of(ds)


def check_store(ds: netCDF4.Dataset, product: RasterProduct, path: Path) -> None:
    """Raise ``StoreError`` unless the open store is laid out on the product's grid."""
    if getattr(ds, "product_id", None) != product.id:
        raise StoreError(
            f"{path}: store of {getattr(ds, 'product_id', '?')!r}, not of {product.id!r}"
        )
    if ds.dimensions["y"].size != product.height or ds.dimensions["x"].size != product.width:
        raise StoreError(f"{path}: grid size differs from product {product.id!r}")
    x0, y0 = float(ds["x"][0]), float(ds["y"][0])
    if not np.allclose([x0, y0], [product.x_coords()[0], product.y_coords()[0]]):
        raise StoreError(f"{path}: grid origin differs from product {product.id!r}")


def row_blocks(ds: netCDF4.Dataset) -> list[tuple[int, int]]:
    """Row ranges aligned with the chunk grid: each write fills whole chunks once."""
    height = ds.dimensions["y"].size
    step = ds[VARIABLE].chunking()[1]
    return [(r, min(r + step, height)) for r in range(0, height, step)]


def time_slot(ds: netCDF4.Dataset, year: int) -> tuple[int, bool]:
    """Index for ``year`` (shifting later years up one) and whether it replaces one."""
    years = years_of(ds)
    if year in years:
        return years.index(year), True
    index = sum(y < year for y in years)
    var, time, bnds = ds[VARIABLE], ds["time"], ds["time_bnds"]
    for i in range(len(years) - 1, index - 1, -1):
        for r0, r1 in row_blocks(ds):
            var[i + 1, r0:r1, :] = var[i, r0:r1, :]
        time[i + 1] = time[i]
        bnds[i + 1, :] = bnds[i, :]
    time[index] = _days(year)
    bnds[index, :] = [_days(year), _days(year + 1)]
    return index, False


@dataclass(frozen=True)
class IngestReport:
    """What an ingestion did, for logs, job results and the CLI."""

    product: str
    year: int
    source: str
    source_crs: str
    source_shape: tuple[int, int]
    time_index: int
    replaced: bool
    histogram: dict[int, int]  # pixel count per code on the product grid, nodata included
    nodata_pixels: int
    seconds: float


def ingest_year(
    product: RasterProduct,
    store_path: Path,
    source_path: Path | str,
    year: int,
    progress: Progress | None = None,
    *,
    band: int = 1,
    replace: bool = False,
) -> IngestReport:
    """Add one year to the store (replace it only if ``replace``) from a raster in any CRS
    and grid.

    All checks run first (year, readability, CRS, overlap, and a full scan of the values), so
    a bad source raises an ``IngestError`` before the store is opened. Then the source is
    resampled by nearest neighbour onto the product grid, one chunk-row of the store at a
    time (memory ~ chunk x width), into a temporary copy of the store that is renamed over
    the original only once complete: a crash, a kill or an exception leaves the old store as
    it was (and the next ingestion removes the copy a killed one left). An exclusive lock
    serialises concurrent ingestions into the same store. Then the year's COG is built
    (``landgrid.raster.cogs``: the read path of tiles and maps), with any other year's that
    is missing or stale.
    """
    started = time.perf_counter()
    store_path, source = Path(store_path), str(source_path)
    check_year(year)
    if not store_path.is_file():
        raise StoreError(f"{store_path}: no store; create it first")
    _refuse_existing(store_path, year, replace)
    with open_source(source, band) as src:
        check_georef(src, product, source)
        checks = source_blocks(src)
        with netCDF4.Dataset(store_path) as ds:
            check_store(ds, product, store_path)
            blocks = row_blocks(ds)
            years = years_of(ds)
        fresh = {y for y in years if y != year and cogs.is_current(store_path, y)}
        rebuilt = sorted({*years, year} - fresh)
        cog_steps = len(rebuilt) * (-(-product.height // cogs.BLOCK) + 1)
        total, done = len(checks) + len(blocks) + cog_steps, 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

        check_values(src, band, product, source, tick)
        with _locked(store_path):
            _refuse_existing(store_path, year, replace)  # another ingestion added it meanwhile
            _remove_stale_copies(store_path)
            tmp = store_path.with_name(f".{store_path.name}.{os.getpid()}.ingesting")
            try:
                shutil.copyfile(store_path, tmp)
                histogram = np.zeros(256, dtype=np.int64)
                with netCDF4.Dataset(tmp, "a") as ds:
                    ds.set_auto_mask(False)
                    index, replaced = time_slot(ds, year)
                    for r0, r1 in blocks:
                        block = warp_block(src, band, product, r0, r1)
                        ds[VARIABLE][index, r0:r1, :] = block
                        histogram += np.bincount(block.ravel(), minlength=256)
                        tick()
                    ds.history += f"\n{_now()} ingested {year} from {Path(source).name}"
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
                os.replace(tmp, store_path)
            finally:
                tmp.unlink(missing_ok=True)
            cogs.keep(store_path, fresh)  # the other years did not change
            cogs.build_cogs(
                product, store_path, rebuilt, lambda n, _: progress and progress(done + n, total)
            )
        return IngestReport(
            product=product.id,
            year=year,
            source=source,
            source_crs=src.crs.to_string(),
            source_shape=(src.height, src.width),
            time_index=index,
            replaced=replaced,
            histogram={int(c): int(n) for c, n in enumerate(histogram) if n},
            nodata_pixels=int(histogram[product.nodata]),
            seconds=time.perf_counter() - started,
        )


def _refuse_existing(store_path: Path, year: int, replace: bool) -> None:
    if not replace and year in store_years(store_path):
        raise YearExists(f"the product already has {year}; replacing it must be asked for")


def _remove_stale_copies(store_path: Path) -> None:
    """Remove the temporary copies of ingestions that were killed (their process is gone);
    called under the store's lock."""
    for copy in store_path.parent.glob(f".{store_path.name}.*.ingesting"):
        pid = copy.name.removeprefix(f".{store_path.name}.").removesuffix(".ingesting")
        if pid.isdigit() and not _alive(int(pid)):
            copy.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _locked(store_path: Path) -> Iterator[None]:
    lock = store_path.with_name(f".{store_path.name}.lock")
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
