"""OGC API - Features Part 4, ``.../ogcapi-features-4/1.0/conf/create-replace-delete``: on
an editable collection, POST adds (201, ``Location``, a new id), PUT replaces (204, the
body's id ignored, 404 for none), DELETE removes (204); ``OPTIONS`` says which methods a
resource allows; ``Content-Crs`` is honoured; read-only collections refuse."""

from __future__ import annotations

import pytest

from tests.features.conftest import EDITABLE
from tests.standards.helpers import DEMO_VECTOR, EPSG, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-4/1.0/conf/create-replace-delete"
GEOJSON = {"Content-Type": "application/geo+json"}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[9.85, 47.30], [9.86, 47.30], [9.86, 47.31], [9.85, 47.31], [9.85, 47.30]]],
}


def feature(**properties) -> dict:
    return {"type": "Feature", "geometry": SQUARE, "properties": {"name": "zone", **properties}}


def allowed(http, url) -> set[str]:
    r = http.options(url, timeout=30)
    assert r.status_code == 200
    return {m.strip() for m in r.headers["Allow"].split(",")}


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_options_say_what_is_allowed(api, http):
    """/req/core/methods B, options-op, options-response A-C."""
    items = f"{api}/collections/{EDITABLE}/items"
    assert {"GET", "POST"} <= allowed(http, items)
    created = http.post(items, json=feature(), headers=GEOJSON, timeout=30)
    assert {"GET", "PUT", "DELETE"} <= allowed(http, created.headers["Location"])
    read_only = http.get(f"{api}/collections/{DEMO_VECTOR}/items", params={"limit": 1}).json()
    fid = read_only["features"][0]["id"]
    methods = allowed(http, f"{api}/collections/{DEMO_VECTOR}/items/{fid}")
    assert "GET" in methods and not {"PUT", "PATCH", "DELETE"} & methods


def test_create(api, http):
    """post-op, post-body, post-content-type, post-response A-B, post-response-rid."""
    items = f"{api}/collections/{EDITABLE}/items"
    first = http.post(items, json=feature(value=1), headers=GEOJSON, timeout=30)
    second = http.post(items, json=feature(value=2), headers=GEOJSON, timeout=30)
    assert first.status_code == second.status_code == 201
    one, two = first.headers["Location"], second.headers["Location"]
    assert one != two and one.startswith(f"{items}/")
    body = http.get(one, timeout=30).json()
    assert body["properties"]["value"] == 1 and str(body["id"]) == one.rsplit("/", 1)[1]


def test_replace(api, http):
    """put-op, put-body, put-response, put-rid (the body's id is ignored), put-rid-exception."""
    items = f"{api}/collections/{EDITABLE}/items"
    location = http.post(items, json=feature(value=1), headers=GEOJSON, timeout=30).headers[
        "Location"
    ]
    replaced = http.put(
        location, json={**feature(name="new"), "id": 999999}, headers=GEOJSON, timeout=30
    )
    assert replaced.status_code in (200, 204)
    body = http.get(location, timeout=30).json()
    assert body["properties"]["name"] == "new" and body["properties"]["value"] is None
    assert str(body["id"]) == location.rsplit("/", 1)[1]
    missing = http.put(f"{items}/987654321", json=feature(), headers=GEOJSON, timeout=30)
    assert missing.status_code == 404


def test_delete(api, http):
    """delete-op, delete-response."""
    items = f"{api}/collections/{EDITABLE}/items"
    location = http.post(items, json=feature(), headers=GEOJSON, timeout=30).headers["Location"]
    assert http.delete(location, timeout=30).status_code in (200, 204)
    assert http.get(location, timeout=30).status_code == 404
    assert http.delete(location, timeout=30).status_code == 404


def test_content_crs(api, http):
    """/req/features/content-crs-header: coordinates in the declared CRS (EPSG:4326 is
    latitude first)."""
    items = f"{api}/collections/{EDITABLE}/items"
    swapped = {
        "type": "Polygon",
        "coordinates": [[[y, x] for x, y in SQUARE["coordinates"][0]]],
    }
    created = http.post(
        items,
        json={"type": "Feature", "geometry": swapped, "properties": {"name": "lat first"}},
        headers={**GEOJSON, "Content-Crs": f"<{EPSG.format(4326)}>"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    stored = http.get(created.headers["Location"], timeout=30).json()["geometry"]
    assert stored["coordinates"][0][0][0] == pytest.approx([9.85, 47.30], abs=1e-7)


def test_read_only_collections_refuse(api, http):
    fid = http.get(f"{api}/collections/{DEMO_VECTOR}/items", params={"limit": 1}).json()[
        "features"
    ][0]["id"]
    url = f"{api}/collections/{DEMO_VECTOR}/items"
    posted = http.post(url, json=feature(), headers=GEOJSON, timeout=30)
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    # a 405 says what is allowed (RFC 9110), as OPTIONS does, also for a method no route has
    for method in ("DELETE", "PUT", "TRACE"):
        r = http.request(method, f"{url}/{fid}", timeout=30)
        assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, OPTIONS", method
