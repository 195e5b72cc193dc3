"""OGC API - Features Part 2, ``.../ogcapi-features-2/1.0/conf/crs``: each collection lists
its CRS URIs and storage CRS; ``crs`` and ``bbox-crs`` are declared, honoured (axis order
included) and checked; every answer says its CRS in ``Content-Crs``."""

from __future__ import annotations

import pytest

from tests.standards.helpers import (
    COUNTRIES,
    CRS84,
    DEMO_VECTOR,
    EPSG,
    OGC,
    PLACES,
    feature_collections,
    parameters,
)

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-2/1.0/conf/crs"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_crs_lists(api, http):
    """/req/crs/fc-md-crs-list, fc-md-storageCrs, fc-md-storageCrs-valid-value, crs-uri."""
    for collection in feature_collections(api, http):
        assert CRS84 in collection["crs"]
        assert collection["storageCrs"] in collection["crs"]
        assert all(c.startswith("http://www.opengis.net/def/crs/") for c in collection["crs"])
    demo = http.get(f"{api}/collections/{DEMO_VECTOR}", timeout=30).json()
    assert demo["storageCrs"] == EPSG.format(3035)


def test_parameters_declared(oas):
    """/req/crs/fc-crs-definition, fc-bbox-crs-definition: on items, ``crs`` on an item."""
    items = parameters(oas, oas["paths"][f"/collections/{PLACES}/items"]["get"])
    item = parameters(oas, oas["paths"][f"/collections/{PLACES}/items/{{featureId}}"]["get"])
    for declared in (items["crs"], items["bbox-crs"], item["crs"]):
        assert declared["schema"]["type"] == "string" and declared["schema"]["format"] == "uri"


def test_crs_and_content_crs(api, http):
    """/req/crs/fc-crs-action, fc-crs-default-value, ogc-crs-header(-value): the
    coordinates in the asked CRS and authoritative axis order (latitude first for
    EPSG:4326)."""
    url = f"{api}/collections/{PLACES}/items/1"
    default = http.get(url, timeout=30)
    assert default.headers["Content-Crs"] == f"<{CRS84}>"
    lon, lat = default.json()["geometry"]["coordinates"]
    lat_first = http.get(url, params={"crs": EPSG.format(4326)}, timeout=30)
    assert lat_first.headers["Content-Crs"] == f"<{EPSG.format(4326)}>"
    assert lat_first.json()["geometry"]["coordinates"] == pytest.approx([lat, lon])
    mercator = http.get(
        f"{api}/collections/{PLACES}/items", params={"crs": EPSG.format(3857)}, timeout=30
    )
    assert mercator.headers["Content-Crs"] == f"<{EPSG.format(3857)}>"
    x, _ = mercator.json()["features"][0]["geometry"]["coordinates"]
    assert abs(x) > 180  # metres


def test_bbox_crs(api, http):
    """/req/crs/fc-bbox-crs-action, fc-bbox-crs-valid-default-value: a box in EPSG:4326
    (latitude first) or EPSG:3857 selects what the same CRS84 box does."""
    url = f"{api}/collections/{COUNTRIES}/items"

    def ids(**params) -> set:
        body = http.get(url, params={"limit": 1000, **params}, timeout=30).json()
        return {f["id"] for f in body["features"]}

    crs84 = ids(bbox="5,45,15,55")
    assert crs84 and ids(bbox="45,5,55,15", **{"bbox-crs": EPSG.format(4326)}) == crs84
    mercator = "556597.45,5621521.49,1669792.36,7361866.11"  # the same box in EPSG:3857
    assert ids(bbox=mercator, **{"bbox-crs": EPSG.format(3857)}) == crs84


@pytest.mark.parametrize("name", ["crs", "bbox-crs"])
def test_unsupported_crs_is_400(api, http, name):
    """/req/crs/crs-exception, fc-crs-valid-value, bbox-crs-exception, fc-bbox-crs-valid-value."""
    params = {name: "http://www.opengis.net/def/crs/EPSG/0/32632", "bbox": "5,45,15,55"}
    r = http.get(f"{api}/collections/{PLACES}/items", params=params, timeout=30)
    assert r.status_code == 400 and name in r.json()["detail"]
    junk = http.get(f"{api}/collections/{PLACES}/items", params={name: "junk"}, timeout=30)
    assert junk.status_code == 400
