"""OGC API - Features Part 1, ``.../ogcapi-features-1/1.0/conf/core``, requirement by
requirement, on every feature collection served (the demo polygons, the CQL2 conformance
layers, an editable one and one with open and missing times)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.schemas import validate
from tests.standards.conftest import TIMED
from tests.standards.helpers import (
    COUNTRIES,
    CRS84,
    DEMO_VECTOR,
    FEATURES,
    OGC,
    PLACES,
    feature_collections,
    link,
    parameters,
    rels,
)

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-1/1.0/conf/core"
GEOJSON = "application/geo+json"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def total(api, http, cid: str, **params) -> int:
    page = http.get(
        f"{api}/collections/{cid}/items", params={"count": "true", "limit": 1, **params}, timeout=60
    )
    assert page.status_code == 200, page.text
    return page.json()["numberMatched"]


def test_landing_page(api, http):
    """/req/core/root-op, root-success: the API definition, conformance and data links."""
    body = http.get(f"{api}/", timeout=30).json()
    validate(body, FEATURES + "landingPage.yaml")
    assert {"service-desc", "service-doc", "conformance", "data"} <= rels(body)


def test_collections(api, http):
    """/req/core/fc-md-op, fc-md-success, fc-md-links, fc-md-items, fc-md-items-links."""
    r = http.get(f"{api}/collections", timeout=60)
    assert r.status_code == 200
    body = r.json()
    validate(body, FEATURES + "collections.yaml")
    assert {"self", "alternate"} <= rels(body)
    ids = {c["id"] for c in feature_collections(api, http)}
    assert {DEMO_VECTOR, PLACES, COUNTRIES, TIMED} <= ids
    for collection in feature_collections(api, http):
        items = [x for x in collection["links"] if x["rel"] == "items"]
        assert {x["type"] for x in items} == {GEOJSON, "text/html"}
        assert all("rel" in x and "type" in x for x in collection["links"])


def test_collection(api, http):
    """/req/core/sfc-md-op, sfc-md-success: each as in the list, collection.yaml."""
    for collection in feature_collections(api, http):
        r = http.get(f"{api}/collections/{collection['id']}", timeout=30)
        assert r.status_code == 200
        validate(r.json(), FEATURES + "collection.yaml")


def test_spatial_extent_holds_every_feature(api, http):
    """/req/core/fc-md-extent: a box equal to the extent selects every feature (the
    extents are rounded outward: the populated places once lost 2 of 243)."""
    for collection in feature_collections(api, http):
        cid, bbox = collection["id"], collection["extent"]["spatial"]["bbox"][0]
        everything = total(api, http, cid)
        if everything:
            assert total(api, http, cid, bbox=",".join(map(str, bbox))) == everything, cid


def test_items(api, http):
    """/req/core/fc-op, fc-response, fc-links, fc-timeStamp, fc-numberReturned,
    fc-numberMatched, crs84 (Content-Crs)."""
    for collection in feature_collections(api, http):
        cid = collection["id"]
        r = http.get(f"{api}/collections/{cid}/items", params={"limit": 5}, timeout=60)
        assert r.status_code == 200 and r.headers["Content-Type"] == GEOJSON
        assert r.headers["Content-Crs"] == f"<{CRS84}>"
        body = r.json()
        if all(f["geometry"] is not None for f in body["features"]):  # schema defect: null
            validate(body, FEATURES + "featureCollectionGeoJSON.yaml")
        assert body["type"] == "FeatureCollection"
        assert {"self", "alternate"} <= rels(body)
        assert body["numberReturned"] == len(body["features"]) <= 5
        dt.datetime.fromisoformat(body["timeStamp"].replace("Z", "+00:00"))
        assert body["numberMatched"] == total(api, http, cid)


def test_number_matched_without_count(api, http):
    """What QGIS 3.22 and ``ogrinfo -so`` read from the unfiltered first page:
    numberMatched, exact, without ``count=true``; not on later pages, nor (unless asked, or
    the page is the whole result) on filtered ones, which would pay for it every time."""
    first = http.get(f"{api}/collections/{PLACES}/items", params={"limit": 10}, timeout=30).json()
    assert first["numberMatched"] == total(api, http, PLACES) == 243
    later = http.get(link(first, "next")["href"], timeout=30).json()
    assert "numberMatched" not in later
    filtered = http.get(
        f"{api}/collections/{PLACES}/items",
        params={"limit": 2, "filter": "pop_max > 10000000"},
        timeout=30,
    ).json()
    assert "numberMatched" not in filtered
    whole = http.get(
        f"{api}/collections/{PLACES}/items",
        params={"limit": 100, "filter": "pop_max > 10000000"},
        timeout=30,
    ).json()
    assert whole["numberMatched"] == whole["numberReturned"] > 2


def test_limit(api, http, oas):
    """/req/core/fc-limit-definition, fc-limit-response-1: declared with its bounds; no
    more than asked; above the maximum is served as the maximum, not an error."""
    items = oas["paths"][f"/collections/{PLACES}/items"]["get"]
    schema = parameters(oas, items)["limit"]["schema"]
    assert schema["type"] == "integer" and schema["minimum"] == 1 and "maximum" in schema
    two = http.get(f"{api}/collections/{PLACES}/items", params={"limit": 2}, timeout=30).json()
    assert two["numberReturned"] == 2
    big = http.get(
        f"{api}/collections/{PLACES}/items", params={"limit": schema["maximum"] * 10}, timeout=60
    )
    assert big.status_code == 200 and big.json()["numberReturned"] == 243
    for bad in ("0", "-1", "unlimited", "1.5"):
        r = http.get(f"{api}/collections/{PLACES}/items", params={"limit": bad}, timeout=30)
        assert r.status_code == 400, bad


def test_paging_with_next_links_and_offset(api, http):
    """The ``next`` links visit every feature once; ``offset`` (which OWSLib sends) skips."""
    url, seen = f"{api}/collections/{PLACES}/items?limit=50", []
    while url:
        page = http.get(url, timeout=30).json()
        seen += [f["id"] for f in page["features"]]
        url = next((x["href"] for x in page["links"] if x["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 243
    skipped = http.get(
        f"{api}/collections/{PLACES}/items", params={"limit": 5, "offset": 10}, timeout=30
    ).json()
    assert [f["id"] for f in skipped["features"]] == seen[10:15]
    assert {"next", "prev"} <= rels(skipped)
    after = http.get(link(skipped, "next")["href"], timeout=30).json()
    assert [f["id"] for f in after["features"]] == seen[15:20]


def test_bbox(api, http, oas):
    """/req/core/fc-bbox-definition, fc-bbox-response: declared (4 or 6 numbers); only
    intersecting features; a box across the antimeridian."""
    items = oas["paths"][f"/collections/{COUNTRIES}/items"]["get"]
    schema = parameters(oas, items)["bbox"]["schema"]
    assert schema["type"] == "array" and schema["items"]["type"] == "number"
    europe = http.get(
        f"{api}/collections/{COUNTRIES}/items",
        params={"bbox": "5,45,15,55", "limit": 1000},
        timeout=30,
    ).json()
    names = {f["properties"]["NAME"] for f in europe["features"]}
    assert {"Germany", "Switzerland"} <= names and "Brazil" not in names
    across = http.get(
        f"{api}/collections/{COUNTRIES}/items",
        params={"bbox": "177,65,-177,70", "limit": 1000},
        timeout=30,
    ).json()
    assert "Russia" in {f["properties"]["NAME"] for f in across["features"]}
    six = http.get(
        f"{api}/collections/{COUNTRIES}/items",
        params={"bbox": "5,45,0,15,55,100", "limit": 1000},
        timeout=30,
    ).json()
    assert {f["id"] for f in six["features"]} == {f["id"] for f in europe["features"]}
    for bad in ("1,2,3", "a,b,c,d", "0,0,200,10", "10,50,5,45"):
        r = http.get(f"{api}/collections/{COUNTRIES}/items", params={"bbox": bad}, timeout=30)
        assert r.status_code == 400, bad


def _ids(api, http, datetime: str) -> set[int]:
    r = http.get(f"{api}/collections/{TIMED}/items", params={"datetime": datetime}, timeout=30)
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["features"]}


def test_datetime(api, http, oas):
    """/req/core/fc-time-definition, fc-time-response: declared where a time exists; only
    features meeting the time, open ends open; features without a time always match (C)."""
    names = parameters(oas, oas["paths"][f"/collections/{TIMED}/items"]["get"])
    assert names["datetime"]["schema"]["type"] == "string"
    assert "datetime" not in parameters(oas, oas["paths"][f"/collections/{COUNTRIES}/items"]["get"])
    assert _ids(api, http, "2020-06-01T00:00:00Z") == {1, 3}
    assert _ids(api, http, "2022-01-01") == {2, 3}
    assert _ids(api, http, "2018-01-01T00:00:00Z/2019-06-01T00:00:00Z") == {3, 4}
    assert _ids(api, http, "../2020-02-01T00:00:00Z") == {1, 3, 4}
    assert _ids(api, http, "2021-01-01T00:00:00Z/..") == {2, 3}
    assert _ids(api, http, "0000-01-01T00:00:00Z/..") == {1, 2, 3, 4}  # what QGIS sends
    for bad in ("yesterday", "2020-13-01", "../..", "2021-01-01/2020-01-01"):
        r = http.get(f"{api}/collections/{TIMED}/items", params={"datetime": bad}, timeout=30)
        assert r.status_code == 400, bad


def test_feature(api, http):
    """/req/core/f-op, f-success, f-links: one feature with self, alternate (HTML) and
    collection links, typed; an unknown id is 404."""
    for collection in feature_collections(api, http):
        cid = collection["id"]
        page = http.get(f"{api}/collections/{cid}/items", params={"limit": 1}, timeout=30).json()
        if not page["features"]:
            continue
        fid = page["features"][0]["id"]
        r = http.get(f"{api}/collections/{cid}/items/{fid}", timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"] == GEOJSON
        feature = r.json()
        if feature["geometry"] is not None:
            validate(feature, FEATURES + "featureGeoJSON.yaml")
        assert feature["id"] == fid
        assert link(feature, "self", GEOJSON)["href"] == f"{api}/collections/{cid}/items/{fid}"
        assert link(feature, "alternate", "text/html")
        assert link(feature, "collection", "application/json")["href"] == f"{api}/collections/{cid}"
        assert all("type" in x for x in feature["links"])
        missing = http.get(f"{api}/collections/{cid}/items/999999999", timeout=30)
        assert missing.status_code == 404


def test_unknown_and_invalid_parameters(api, http):
    """/req/core/query-param-unknown, query-param-invalid."""
    url = f"{api}/collections/{PLACES}/items"
    assert http.get(url, params={"lang": "en"}, timeout=30).status_code == 400
    assert http.get(url, params={"skipGeometry": "maybe"}, timeout=30).status_code == 400
    item = f"{url}/1"
    assert http.get(item, params={"limit": 1}, timeout=30).status_code == 400
