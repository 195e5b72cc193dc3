"""The coverage endpoints of the running stack, on the demo product ``clcplus-backbone``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import netCDF4
import numpy as np
import pytest
import rasterio
import requests

from landgrid.catalog import store_path

pytestmark = pytest.mark.services
ID = "clcplus-backbone"
GEOTIFF = "image/tiff; application=geotiff"


@pytest.fixture(scope="module")
def url(base_url: str) -> str:
    return f"{base_url}/collections/{ID}"


@pytest.fixture(scope="module")
def direct(stack) -> dict[int, np.ndarray]:
    """Each year of the demo store read by GDAL's netCDF driver, independent of our reader."""
    store = store_path(stack.settings, ID)
    with rasterio.open(f"netcdf:{store}:land_cover") as src:
        return {2018: src.read(1), 2021: src.read(2)}


@contextmanager
def _tif(response: requests.Response) -> Iterator[rasterio.io.DatasetReader]:
    """The GeoTIFF, open while its memory file is kept (a collected one fails reads)."""
    with rasterio.MemoryFile(response.content) as mem, mem.open() as ds:
        yield ds


def test_collection_describes_the_coverage(url):
    doc = requests.get(url, params={"f": "json"}, timeout=30).json()
    assert doc["layerDataType"] == "Coverage"
    assert doc["extent"]["spatial"]["grid"][0] == {  # northing first: EPSG:3035 order
        "cellsCount": 2000,
        "resolution": 10,
        "firstCoordinate": 2680005.0,
    }
    rels = {(link["rel"].rsplit("/", 1)[-1], link.get("type")) for link in doc["links"]}
    assert ("coverage", GEOTIFF) in rels and ("coverage-domainset", "application/json") in rels
    listed = requests.get(url.rsplit("/", 1)[0], params={"f": "json"}, timeout=30).json()
    ours = [c for c in listed["collections"] if c["id"] == ID]
    assert ours[0]["layerDataType"] == "Coverage"


def test_schema_domainset_rangetype(url):
    schema = requests.get(f"{url}/schema", params={"f": "json"}, timeout=30).json()
    field = schema["properties"]["land_cover"]
    assert (
        field["type"] == "integer"
        and {"const": 1, "title": "Sealed", "x-ogc-color": "#FF0000"} in field["oneOf"]
    )
    domain = requests.get(f"{url}/coverage/domainset", timeout=30).json()
    assert domain["generalGrid"]["axisLabels"] == ["Lon", "Lat"]
    rangetype = requests.get(f"{url}/coverage/rangetype", timeout=30).json()
    assert rangetype["field"][0]["definition"] == "ogcType:unsignedByte"


def test_default_is_newest_year_geotiff_with_headers(url, direct):
    r = requests.get(f"{url}/coverage", timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"] == GEOTIFF
    assert r.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/3035>"
    assert r.headers["Content-Bbox"] == "2680000.0,4300000.0,2700000.0,4320000.0"  # N, E
    with _tif(r) as ds:
        assert np.array_equal(ds.read(1), direct[2021])


def test_byte_ranges(url):
    """One byte range: 206, or 416 beyond the end with ``Content-Range: bytes */length``;
    any other ``Range`` (an unknown unit, invalid, several ranges) is ignored as RFC 9110
    14.2 allows, and for an unknown unit requires: the whole GeoTIFF."""
    whole = requests.get(f"{url}/coverage", timeout=60)
    size = len(whole.content)
    part = requests.get(f"{url}/coverage", headers={"Range": "bytes=0-15"}, timeout=60)
    assert part.status_code == 206 and part.content == whole.content[:16]
    beyond = requests.get(f"{url}/coverage", headers={"Range": f"bytes={size}-"}, timeout=60)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"
    assert beyond.json()["type"] == "RangeNotSatisfiable"
    for value in ("", "items=0-1", "bytes=5-1", "garbage", "bytes=0-1,4-5"):
        r = requests.get(f"{url}/coverage", headers={"Range": value}, timeout=60)
        assert r.status_code == 200 and r.content == whole.content, value


@pytest.mark.parametrize(
    ("params", "headers", "media"),
    [
        ({"f": "tif"}, {}, GEOTIFF),
        ({"f": "netcdf"}, {}, "application/x-netcdf"),
        ({"f": "covjson"}, {}, "application/vnd.cov+json"),
        ({"f": "png"}, {}, "image/png"),
        ({}, {"Accept": "application/vnd.cov+json"}, "application/vnd.cov+json"),
        ({}, {"Accept": "application/x-netcdf"}, "application/x-netcdf"),
        ({}, {"Accept": "image/png"}, "image/png"),
        ({}, {"Accept": "image/tiff;application=geotiff"}, GEOTIFF),
    ],
)
def test_formats(url, direct, tmp_path, params, headers, media):
    params = {"subset": "X(4301000:4302000),Y(2698000:2699000)", "datetime": "2018", **params}
    r = requests.get(f"{url}/coverage", params=params, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == media
    expected = direct[2018][100:200, 100:200]
    if media == "application/vnd.cov+json":
        values = json.loads(r.content)["ranges"]["land_cover"]["values"]
        assert values == expected.ravel().tolist()
    elif media == "application/x-netcdf":
        (tmp_path / "a.nc").write_bytes(r.content)
        with netCDF4.Dataset(tmp_path / "a.nc") as ds:
            assert np.array_equal(ds["land_cover"][0].filled(255), expected)
    else:
        with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
            assert np.array_equal(ds.read(1), expected)


@pytest.mark.parametrize(
    ("params", "shape"),
    [
        (
            {
                "bbox": "2690000,4305000,2690500,4306000",  # EPSG:3035 order: N, E
                "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
            },
            (50, 100),
        ),
        ({"subset": "E(4305000:4306000)", "properties": "land_cover"}, (2000, 100)),
        ({"subset": "X(4305000:4306000),Y(2690000:2691000)", "width": "50"}, (50, 50)),
        ({"subset": "X(4305000:4306000),Y(2690000:2691000)", "resolution": "20"}, (50, 50)),
        ({"subset": "X(4305000:4306000),Y(2690000:2691000)", "scale-factor": "4"}, (25, 25)),
        (
            {"subset": "X(4305000:4306000),Y(2690000:2691000)", "scale-size": "X(10),Y(20)"},
            (20, 10),
        ),
        ({"subset": "X(4305000:4306000),Y(2690000:2691000)", "crs": "EPSG:3857"}, None),
    ],
)
def test_parameters(url, params, shape):
    r = requests.get(f"{url}/coverage", params=params, timeout=60)
    assert r.status_code == 200, r.text
    with _tif(r) as ds:
        if shape:
            assert ds.shape == shape
        else:
            assert ds.crs.to_epsg() == 3857
            assert r.headers["Content-Crs"].endswith("/EPSG/0/3857>")


def test_several_years_are_bands_or_time_steps(url, direct):
    params = {
        "datetime": "2018-01-01T00:00:00Z/2021-12-31T00:00:00Z",
        "subset": "X(4300000:4300500),Y(2699500:2700000)",
    }
    with _tif(requests.get(f"{url}/coverage", params=params, timeout=60)) as ds:
        assert ds.count == 2 and ds.descriptions == ("2018", "2021")
        assert np.array_equal(ds.read(2), direct[2021][:50, :50])


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"subset": "Z(1:2)"}, "subset"),
        ({"subset": "X(4310000:4300000)"}, "subset"),
        ({"bbox": "1,2"}, "bbox"),
        ({"bbox": "1,2,3,x"}, "bbox"),
        ({"bbox": "4305000,2690000,4306000,2690500", "bbox-crs": "EPSG:0"}, "bbox-crs"),
        ({"crs": "EPSG:123456789"}, "crs"),
        ({"properties": "ndvi"}, "properties"),
        ({"width": "0"}, "width"),
        ({"width": "20000000"}, "width"),
        ({"width": "9000", "height": "9000"}, "width/height"),
        ({"f": "xml"}, "f"),
        ({"f": "png", "datetime": "2018/2021"}, "datetime"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(url, params, name):
    r = requests.get(f"{url}/coverage", params=params, timeout=60)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["type"] == "InvalidParameterValue"
    assert body["detail"].startswith(f"{name}:"), body["detail"]


@pytest.mark.parametrize("params", [{"subset": "X(0:10)"}, {"datetime": "1999-01-01T00:00:00Z"}])
def test_outside_the_coverage_is_404(url, params):
    r = requests.get(f"{url}/coverage", params=params, timeout=60)
    assert r.status_code == 404 and r.json()["type"] == "NotFound"


def test_size_limit_message(url):
    r = requests.get(f"{url}/coverage", params={"width": "9000", "height": "9000"}, timeout=30)
    detail = r.json()["detail"]
    assert "81000000" in detail and "16777216" in detail and "extract" in detail


def test_unknown_collection_is_404(base_url):
    r = requests.get(f"{base_url}/collections/nope/coverage", timeout=30)
    assert r.status_code == 404 and r.json()["type"] == "NotFound"


def test_conformance_declares_coverages(base_url):
    classes = requests.get(f"{base_url}/conformance", params={"f": "json"}, timeout=30).json()[
        "conformsTo"
    ]
    assert "http://www.opengis.net/spec/ogcapi-coverages-1/1.0/conf/core" in classes
