"""OGC API - Coverages 1.0 (rc2), ``.../ogcapi-coverages-1/1.0/conf/core``: the coverage
collection (links, storage CRS and its box, the native grid, the years), its fields
schema, the coverage itself in the negotiated format and native CRS, and its headers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.schemas import validate
from tests.standards.coverage import EPSG3035, GEOTIFF, X0, Y1, coverage_url, tif
from tests.standards.helpers import COVERAGES, CRS84, DEMO_RASTER, OGC, REL, link

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/core"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_collection_description(api, http):
    """/req/core/collection-description A-D, and the grid of the extent (clause 7)."""
    listed = http.get(f"{api}/collections", timeout=60).json()["collections"]
    entry = next(c for c in listed if c["id"] == DEMO_RASTER)
    doc = http.get(f"{api}/collections/{DEMO_RASTER}", timeout=30).json()
    assert entry == doc
    assert link(doc, f"{REL}coverage", GEOTIFF)["href"].startswith(coverage_url(api))
    assert doc["storageCrs"] == EPSG3035 and {EPSG3035, CRS84} <= set(doc["crs"])
    spatial = doc["extent"]["spatial"]
    assert spatial["crs"] == CRS84
    assert spatial["storageCrsBbox"] == [[2680000, 4300000, 2700000, 4320000]]  # N, E
    n, e = spatial["grid"]
    assert e == {"cellsCount": 2000, "resolution": 10, "firstCoordinate": X0 + 5}
    assert n == {"cellsCount": 2000, "resolution": 10, "firstCoordinate": 2680005}
    temporal = doc["extent"]["temporal"]
    assert temporal["interval"] == [["2018-01-01T00:00:00Z", "2021-12-31T23:59:59Z"]]
    assert temporal["grid"]["coordinates"] == ["2018-01-01T00:00:00Z", "2021-01-01T00:00:00Z"]
    validate(doc["extent"], COVERAGES + "common-geodata/extent.yaml")


def test_fields_schema(api, http):
    """/req/core/coverage-fields-schema A-B."""
    doc = http.get(f"{api}/collections/{DEMO_RASTER}", timeout=30).json()
    href = link(doc, f"{REL}schema")["href"]
    r = http.get(href, headers={"Accept": "application/schema+json"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/schema+json"
    fields = r.json()["properties"]
    for field in fields.values():
        assert field["title"] and field["type"] == "integer"
        assert field["x-ogc-propertySeq"] == 1
        assert {c["const"] for c in field["oneOf"]} >= {1, 10, 255}


def test_get_coverage(api, http, demo_pixels):
    """/req/core/get-coverage A-F: 200, the coverage data (the newest year, native CRS)
    as GeoTIFF when nothing is negotiated; the format asked otherwise."""
    r = http.get(coverage_url(api), timeout=120)
    assert r.headers["Content-Type"] == GEOTIFF
    with tif(r) as ds:
        assert ds.crs.to_epsg() == 3035 and ds.transform.a == 10
        assert (ds.transform.c, ds.transform.f) == (X0, Y1)
        assert np.array_equal(ds.read(1), demo_pixels[2021])
    png = http.get(coverage_url(api), headers={"Accept": "image/png"}, timeout=120)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"


def test_response_headers(api, http):
    """/req/core/response-headers A-D: Content-Crs, Content-Bbox in the CRS's axis order,
    Content-Datetime."""
    r = http.get(
        coverage_url(api),
        params={"subset": "E(4301000:4302000),N(2690000:2691000)", "datetime": "2018"},
        timeout=60,
    )
    assert r.status_code == 200
    assert r.headers["Content-Crs"] == f"<{EPSG3035}>"
    assert r.headers["Content-Bbox"] == "2690000.0,4301000.0,2691000.0,4302000.0"
    assert r.headers["Content-Datetime"] == "2018-01-01T00:00:00Z/2018-12-31T23:59:59Z"
    lonlat = http.get(coverage_url(api), params={"crs": CRS84, "width": 50}, timeout=60)
    west, south, east, north = map(float, lonlat.headers["Content-Bbox"].split(","))
    assert 9 < west < east < 11 and 46 < south < north < 48
