"""Real clients: GDAL's OGCAPI driver (gdal_translate) and OWSLib get the store's pixels."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import rasterio
from owslib.ogcapi.coverages import Coverages
from rasterio.enums import Resampling
from rasterio.warp import reproject

from landgrid.catalog import store_path

pytestmark = pytest.mark.services
ID = "clcplus-backbone"


@pytest.fixture(scope="module")
def store(stack):
    return store_path(stack.settings, ID)


@pytest.mark.parametrize(("query", "band"), [("", 2), ("?datetime=2018", 1)])
def test_gdal_translate_through_ogcapi(base_url, store, tmp_path, query, band):
    """GDAL's OGCAPI driver: the newest year, or the one the collection URL's ``datetime``
    asks (it follows the collection's coverage link, which carries it). The driver always
    reads the coverage as EPSG:4326, so the check is against the store resampled so."""
    if not shutil.which("gdal_translate"):
        pytest.skip("gdal_translate not installed")
    out = tmp_path / "gdal.tif"
    subprocess.run(
        ["gdal_translate", "-q", f"OGCAPI:{base_url}/collections/{ID}{query}", str(out)],
        check=True,
        timeout=300,
        cwd=tmp_path,  # GDAL's WMS cache goes to cwd
        env={"GDAL_HTTP_TIMEOUT": "120", "PATH": "/usr/bin"},
    )
    with rasterio.open(out) as got, rasterio.open(f"netcdf:{store}:land_cover") as src:
        assert got.dtypes[0] == "uint8" and got.crs.to_epsg() == 4326
        expected = np.full(got.shape, 255, dtype=np.uint8)
        reproject(
            src.read(band),
            expected,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=255,
            dst_transform=got.transform,
            dst_crs=got.crs,
            dst_nodata=255,
            resampling=Resampling.nearest,
            tolerance=0,
        )
        data = got.read(1)
    assert np.mean(data == expected) > 0.999


def test_owslib_coverage(base_url, store):
    api = Coverages(base_url)
    assert ID in api.coverages()
    body = api.coverage(
        ID,
        subset=[("X", 4310000, 4312000), ("Y", 2685000, 2686000)],
        datetime="2018-01-01T00:00:00Z",
    )
    with (
        rasterio.MemoryFile(body.read()) as mem,
        mem.open() as ds,
        rasterio.open(f"netcdf:{store}:land_cover") as src,
    ):
        assert ds.shape == (100, 200)
        assert np.array_equal(ds.read(1), src.read(1)[1400:1500, 1000:1200])
    scaled = api.coverage(
        ID, subset={"X": (4310000, 4312000), "Y": (2685000, 2686000)}, scale_size={"X": 50, "Y": 25}
    )
    with rasterio.MemoryFile(scaled.read()) as mem, mem.open() as ds:
        assert ds.shape == (25, 50)
