"""OGC API - Coverages 1.0 (rc2), ``.../conf/cog``: the coverage resource (no parameters:
the newest year at the native grid) is a Cloud Optimized GeoTIFF served by HTTP byte
ranges, with the cloud-optimized profile; GDAL reads it so, natively: EPSG:3035 at 10 m,
the legend's colour table, and the year asked.

Declared while every raster product's whole coverage fits in one response
(``LANDGRID_COVERAGE_MAX_PIXELS``), which holds for the demo product."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import rasterio

from tests.standards.coverage import GEOTIFF, coverage_url
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/cog"
PROFILE = "<http://www.opengis.net/def/profile/geotiff/cloud-optimized>"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_a_cloud_optimized_geotiff(api, http):
    """/req/cog/cloud-optimized."""
    r = http.get(coverage_url(api), headers={"Accept": GEOTIFF}, timeout=120)
    assert r.status_code == 200 and r.headers["Content-Type"] == GEOTIFF
    assert r.headers["Content-Profile"] == PROFILE
    with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.overviews(1) and ds.block_shapes[0] == (512, 512)


def test_byte_ranges(api, http):
    """/req/cog/http-range A-B: HEAD gives the length, Range a 206 of those bytes."""
    url = coverage_url(api)
    whole = http.get(url, timeout=120)
    head = http.head(url, timeout=120)
    assert head.headers["Accept-Ranges"] == "bytes"
    assert int(head.headers["Content-Length"]) == len(whole.content)
    part = http.get(url, headers={"Range": "bytes=100-16483"}, timeout=120)
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-16483/{len(whole.content)}"
    assert part.content == whole.content[100:16484]
    tail = http.get(url, headers={"Range": "bytes=-10"}, timeout=120)
    assert tail.status_code == 206 and tail.content == whole.content[-10:]
    year = http.get(url, params={"datetime": "2018"}, headers={"Range": "bytes=0-99"})
    assert year.status_code == 206 and year.headers["ETag"] != whole.headers["ETag"]


def test_gdal_reads_the_native_grid_palette_and_year(api, demo_pixels, tmp_path):
    """What GDAL's OGCAPI driver cannot give (it always reports EPSG:4326 and drops colour
    tables), its /vsicurl/ reader gets from the COG by ranges."""
    if not shutil.which("gdalinfo"):
        pytest.skip("gdal-bin not installed")
    url = f"/vsicurl/{coverage_url(api)}?datetime=2018"
    env = {"PATH": "/usr/bin", "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}
    info = json.loads(
        subprocess.run(
            ["gdalinfo", "-json", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env=env,
        ).stdout
    )
    assert info["coordinateSystem"]["wkt"].rstrip().endswith('ID["EPSG",3035]]')
    assert info["geoTransform"][1] == 10 and info["geoTransform"][5] == -10
    band = info["bands"][0]
    assert band["colorTable"]["entries"][1][:3] == [255, 0, 0]
    assert band["description"] == "2018"
    out = tmp_path / "window.tif"
    subprocess.run(
        ["gdal_translate", "-q", "-srcwin", "100", "200", "300", "50", url, str(out)],
        check=True,
        timeout=120,
        env=env,
    )
    with rasterio.open(out) as ds:
        assert np.array_equal(ds.read(1), demo_pixels[2018][200:250, 100:400])
