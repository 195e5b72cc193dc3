"""The netCDF store: CF layout, ingestion of the real CORINE rasters, refusal of bad inputs."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

from landgrid.raster import cogs
from landgrid.raster.product import RasterProduct
from landgrid.raster.store import (
    VARIABLE,
    IngestCRSError,
    IngestExtentError,
    IngestSourceError,
    IngestValueError,
    IngestYearError,
    StoreError,
    YearExists,
    create_store,
    ingest_year,
    open_store,
    store_years,
)

SOURCES = {2006: "ls100_06.tif", 2012: "ls100_12.tif"}


def _reference(product: RasterProduct, source: Path, tolerance: float = 0.0) -> np.ndarray:
    """An independent whole-grid nearest-neighbour resampling of the source."""
    out = np.full((product.height, product.width), product.nodata, dtype=np.uint8)
    with rasterio.open(source) as src:
        reproject(
            rasterio.band(src, 1),
            out,
            dst_transform=product.transform,
            dst_crs=product.crs.to_wkt(),
            src_nodata=src.nodata,
            dst_nodata=product.nodata,
            resampling=Resampling.nearest,
            tolerance=tolerance,
        )
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory, corine: RasterProduct, lausanne: Path
) -> tuple[Path, dict]:
    """Both years, ingested out of order (2012 first) to exercise the sorted time axis."""
    store = create_store(corine, tmp_path_factory.mktemp("store") / "corine.nc")
    reports = {
        year: ingest_year(corine, store, lausanne / SOURCES[year], year) for year in (2012, 2006)
    }
    return store, reports


def test_empty_store_is_cf(tmp_path: Path, corine: RasterProduct) -> None:
    store = create_store(corine, tmp_path / "s.nc", chunk=128)
    assert store_years(store) == []
    with netCDF4.Dataset(store) as ds:
        assert ds.Conventions == "CF-1.8" and ds.product_id == corine.id
        assert ds.title == corine.title and ds.license == corine.licence
        assert ds.dimensions["time"].isunlimited()
        assert ds["time"].units == "days since 1970-01-01" and ds["time"].bounds == "time_bnds"
        for axis in ("x", "y"):
            assert ds[axis].standard_name == f"projection_{axis}_coordinate"
            assert ds[axis].units == "m"
        crs = ds["crs"]
        assert crs.grid_mapping_name == "lambert_azimuthal_equal_area"
        assert CRS.from_wkt(crs.crs_wkt).to_epsg() == 3035
        assert CRS.from_cf(dict(crs.__dict__)) == corine.crs
        var = ds[VARIABLE]
        assert var.dimensions == ("time", "y", "x") and var.dtype == np.uint8
        assert var._FillValue == 255 and var.grid_mapping == "crs" and var.units == "1"
        assert var.chunking() == [1, 128, 128]
        assert var.filters()["zlib"] is True
        flags = var.flag_values.tolist()
        assert flags == [c for c in corine.codes if c != corine.nodata]
        meanings = var.flag_meanings.split()
        assert len(meanings) == len(flags) and all(re.fullmatch(r"\w+", m) for m in meanings)
        assert meanings[0] == "continuous_urban_fabric"
        assert len(var.flag_colors.split()) == len(flags)
    with pytest.raises(StoreError, match="already exists"):
        create_store(corine, store)


def test_both_years_present_and_sorted(ingested: tuple[Path, dict]) -> None:
    store, reports = ingested
    assert store_years(store) == [2006, 2012]
    assert reports[2012].time_index == 0 and reports[2006].time_index == 0  # inserted before
    assert not reports[2006].replaced
    with open_store(store) as ds:
        assert [str(t)[:10] for t in ds.time.values] == ["2006-01-01", "2012-01-01"]
        assert str(ds.time_bnds.values[0, 1])[:10] == "2007-01-01"
        assert ds[VARIABLE].dtype == np.uint8


@pytest.mark.parametrize("year", [2006, 2012])
def test_pixels_equal_an_independent_resampling(
    ingested: tuple[Path, dict], corine: RasterProduct, lausanne: Path, year: int
) -> None:
    store, _ = ingested
    with open_store(store) as ds:
        stored = ds[VARIABLE].sel(time=f"{year}-01-01").values
    # Ingestion transforms every pixel exactly (GDAL's approximate transformer off).
    assert np.array_equal(stored, _reference(corine, lausanne / SOURCES[year]))
    # GDAL's default approximation (0.125 px) picks a neighbour at a few boundary pixels.
    assert (stored != _reference(corine, lausanne / SOURCES[year], 0.125)).mean() < 0.005


@pytest.mark.parametrize("year", [2006, 2012])
def test_class_areas_match_the_source(
    ingested: tuple[Path, dict], corine: RasterProduct, lausanne: Path, year: int
) -> None:
    _, reports = ingested
    with rasterio.open(lausanne / SOURCES[year]) as src:
        values, counts = np.unique(src.read(1), return_counts=True)
        pixel_area = abs(src.transform.a * src.transform.e)
    source = {int(v): n * pixel_area for v, n in zip(values, counts, strict=True) if v != 255}
    stored = {
        c: n * corine.resolution**2
        for c, n in reports[year].histogram.items()
        if c != corine.nodata
    }
    assert set(stored) == set(source)
    total = sum(source.values())
    assert abs(sum(stored.values()) - total) / total < 0.01
    for code, area in source.items():
        if area > 100 * pixel_area:  # small classes may legitimately vary more
            assert abs(stored[code] - area) / area < 0.05, code


def test_the_two_sources_are_on_different_grids(lausanne: Path, corine: RasterProduct) -> None:
    with rasterio.open(lausanne / SOURCES[2006]) as a, rasterio.open(lausanne / SOURCES[2012]) as b:
        assert a.transform != b.transform
        assert a.crs == b.crs and a.crs.to_epsg() == 2056
        assert a.res[0] != corine.resolution and b.res[0] != corine.resolution


def test_gdal_reads_crs_and_geotransform(
    ingested: tuple[Path, dict], corine: RasterProduct
) -> None:
    store, _ = ingested
    with rasterio.open(f"netcdf:{store}:{VARIABLE}") as src:
        assert src.crs.to_epsg() == 3035
        assert src.transform.almost_equals(corine.transform)
        assert (src.count, src.height, src.width) == (2, corine.height, corine.width)
        assert src.nodata == 255
        first = src.read(1)
    with open_store(store) as ds:
        assert np.array_equal(first, ds[VARIABLE].values[0])


def test_replace_a_year(
    tmp_path: Path, ingested: tuple[Path, dict], corine: RasterProduct, lausanne: Path
) -> None:
    store = Path(shutil.copy(ingested[0], tmp_path / "copy.nc"))
    before = _digest(store)
    with pytest.raises(YearExists, match="already has 2006"):
        ingest_year(corine, store, lausanne / SOURCES[2006], 2006)
    assert _digest(store) == before
    report = ingest_year(corine, store, lausanne / SOURCES[2006], 2006, replace=True)
    assert report.replaced and report.time_index == 0
    assert store_years(store) == [2006, 2012]
    with open_store(store) as ds, open_store(ingested[0]) as before:
        assert np.array_equal(ds[VARIABLE].values, before[VARIABLE].values)


def _cf_netcdf_copy(source: Path, target: Path) -> Path:
    """The raster as a CF netCDF written without GDAL (as a non-GDAL producer would)."""
    with rasterio.open(source) as src:
        data, t, crs = src.read(1), src.transform, CRS.from_wkt(src.crs.to_wkt())
    with netCDF4.Dataset(target, "w") as ds:
        ds.Conventions = "CF-1.8"
        ds.createDimension("y", data.shape[0])
        ds.createDimension("x", data.shape[1])
        x = ds.createVariable("x", "f8", ("x",))
        x.setncatts({"standard_name": "projection_x_coordinate", "units": "m"})
        x[:] = t.c + (np.arange(data.shape[1]) + 0.5) * t.a
        y = ds.createVariable("y", "f8", ("y",))
        y.setncatts({"standard_name": "projection_y_coordinate", "units": "m"})
        y[:] = t.f + (np.arange(data.shape[0]) + 0.5) * t.e
        ds.createVariable("crs", "i4").setncatts(crs.to_cf())
        var = ds.createVariable("clc", "u1", ("y", "x"), fill_value=np.uint8(255))
        var.grid_mapping = "crs"
        var[:] = data
    return target


def test_netcdf_source(tmp_path: Path, corine: RasterProduct, lausanne: Path) -> None:
    source = _cf_netcdf_copy(lausanne / SOURCES[2006], tmp_path / "ls100_06.nc")
    store = create_store(corine, tmp_path / "s.nc")
    calls: list[tuple[int, int]] = []
    report = ingest_year(corine, store, source, 2006, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1][0] == calls[-1][1]
    assert CRS.from_user_input(report.source_crs).to_epsg() == 2056
    with open_store(store) as ds:
        stored = ds[VARIABLE].values[0]
    assert np.array_equal(stored, _reference(corine, source))
    # The grid rebuilt from coordinate variables matches the GeoTIFF's to rounding.
    assert (stored != _reference(corine, lausanne / SOURCES[2006])).mean() < 0.001


def _write(path: Path, data: np.ndarray, *, crs: str | None, transform: Affine) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=255,
    ) as dst:
        dst.write(data, 1)
    return path


def _bad_source(kind: str, tmp_path: Path, lausanne: Path) -> Path:
    inside = Affine(100, 0, 4_040_000, 0, -100, 2_630_000)
    patch = np.full((50, 50), 12, dtype=np.uint8)
    match kind:
        case "unknown code":
            with rasterio.open(lausanne / SOURCES[2006]) as src:
                data, crs, transform = src.read(1), src.crs.to_wkt(), src.transform
            data[100:110, 100:103] = 99
            data[0, 0] = 47
            return _write(tmp_path / "codes.tif", data, crs=crs, transform=transform)
        case "no crs":
            return _write(tmp_path / "nocrs.tif", patch, crs=None, transform=inside)
        case "outside":
            far = Affine(100, 0, 3_000_000, 0, -100, 2_000_000)
            return _write(tmp_path / "far.tif", patch, crs="EPSG:3035", transform=far)
        case "float pixels":
            return _write(
                tmp_path / "float.tif", patch.astype("float32"), crs="EPSG:3035", transform=inside
            )
        case "garbage":
            path = tmp_path / "garbage.tif"
            path.write_bytes(np.random.default_rng(0).bytes(4096))
            return path
        case "missing":
            return tmp_path / "missing.tif"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "error", "words"),
    [
        ("unknown code", IngestValueError, r"47 \(1 px\), 99 \(30 px\)"),
        ("no crs", IngestCRSError, "no CRS"),
        ("outside", IngestExtentError, "does not overlap"),
        ("float pixels", IngestValueError, "float32"),
        ("garbage", IngestSourceError, "not a readable raster"),
        ("missing", IngestSourceError, "not a readable raster"),
    ],
)
def test_bad_sources_leave_the_store_unchanged(
    tmp_path: Path,
    ingested: tuple[Path, dict],
    corine: RasterProduct,
    lausanne: Path,
    kind: str,
    error: type,
    words: str,
) -> None:
    store = Path(shutil.copy(ingested[0], tmp_path / "store.nc"))
    before = _digest(store)
    source = _bad_source(kind, tmp_path, lausanne)
    with pytest.raises(error, match=words):
        ingest_year(corine, store, source, 2018)
    assert _digest(store) == before
    assert not [p for p in tmp_path.iterdir() if ".ingesting" in p.name]


def test_bad_year(tmp_path: Path, corine: RasterProduct, lausanne: Path) -> None:
    store = create_store(corine, tmp_path / "s.nc")
    with pytest.raises(IngestYearError, match="1500"):
        ingest_year(corine, store, lausanne / SOURCES[2006], 1500)
    assert store_years(store) == []


def test_store_of_another_product(
    tmp_path: Path, corine: RasterProduct, backbone: RasterProduct, lausanne: Path
) -> None:
    store = create_store(backbone, tmp_path / "b.nc")
    with pytest.raises(StoreError, match="not of 'corine-land-cover'"):
        ingest_year(corine, store, lausanne / SOURCES[2006], 2006)
    with pytest.raises(StoreError, match="no store"):
        ingest_year(corine, tmp_path / "none.nc", lausanne / SOURCES[2006], 2006)


def test_failure_while_writing_leaves_the_store_unchanged(
    tmp_path: Path, ingested: tuple[Path, dict], corine: RasterProduct, lausanne: Path
) -> None:
    store = Path(shutil.copy(ingested[0], tmp_path / "store.nc"))
    before = _digest(store)

    # the copy has no COGs: its two years and the new one get theirs after the store's blocks
    cog_steps = 3 * (-(-corine.height // cogs.BLOCK) + 1)

    def interrupt(done: int, total: int) -> None:
        if done == total - cog_steps:  # the last block has been written into the working copy
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_year(corine, store, lausanne / SOURCES[2006], 2009, progress=interrupt)
    assert _digest(store) == before and store_years(store) == [2006, 2012]
    assert not [p for p in tmp_path.iterdir() if ".ingesting" in p.name]
