"""The features API over HTTP on the real stack: paging links, CRS headers, queryables, OGC
exceptions for bad input. (The CQL2 conformance predicates run per class in
``tests/standards/test_cql2_*.py``.)"""

from __future__ import annotations

import re
from html import unescape as html_unescape

import pytest
import requests

pytestmark = pytest.mark.services
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


@pytest.fixture(scope="module")
def http() -> requests.Session:
    return requests.Session()


def items_url(base: str, collection: str) -> str:
    return f"{base}/collections/{collection}/items"


def test_items_paging_links_visit_every_feature(features_url, http):
    url = items_url(features_url, "ne_110m_populated_places_simple")
    r = http.get(url, params={"limit": 50, "sortby": "-pop_max"}, timeout=30)
    ids, pages = [], 0
    while True:
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/geo+json")
        assert r.headers["Content-Crs"] == f"<{CRS84}>"
        body = r.json()
        ids += [f["id"] for f in body["features"]]
        pages += 1
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            break
        assert "offset" not in nxt[0]
        r = http.get(nxt[0], timeout=30)
    assert pages == 5 and len(ids) == len(set(ids)) == 243
    prev = [link["href"] for link in body["links"] if link["rel"] == "prev"]
    assert len(http.get(prev[0], timeout=30).json()["features"]) == 50


def test_html_pages_follow_the_same_cursors(features_url, http):
    """The HTML items pages page by keyset cursor, not OFFSET."""
    url = items_url(features_url, "ne_110m_populated_places_simple")
    r = http.get(url, params={"f": "html", "limit": 100, "sortby": "-pop_max"}, timeout=30)
    ids: list[str] = []
    pages = []
    while True:
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/html")
        assert "offset=" not in r.text
        ids += re.findall(r'href="[^"]*/items/(\d+)[?"]', r.text)
        pages.append(r.text)
        nxt = re.findall(r'<a rel="next" href="([^"]+)">Next page</a>', r.text)
        if not nxt:
            break
        r = http.get(html_unescape(nxt[0]), timeout=30)
    assert len(pages) == 3 and len(ids) == len(set(ids)) == 243
    assert ">Previous page</a>" not in pages[0] and ">Previous page</a>" in pages[1]
    json_ids = [
        str(f["id"])
        for f in http.get(url, params={"limit": 100, "sortby": "-pop_max"}, timeout=30).json()[
            "features"
        ]
    ]
    assert ids[:100] == json_ids


def test_crs_parameter_sets_content_crs_and_axis_order(features_url, http):
    url = items_url(features_url, "ne_110m_populated_places_simple")
    base = {"filter": "name='Kiev'"}
    lonlat = http.get(url, params=base, timeout=30).json()["features"][0]
    r = http.get(url, params={**base, "crs": EPSG.format(4326)}, timeout=30)
    assert r.headers["Content-Crs"] == f"<{EPSG.format(4326)}>"
    assert r.json()["features"][0]["geometry"]["coordinates"] == pytest.approx(
        lonlat["geometry"]["coordinates"][::-1]
    )
    r = http.get(f"{url}/{lonlat['id']}", params={"crs": EPSG.format(3857)}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Crs"] == f"<{EPSG.format(3857)}>"
    assert abs(r.json()["geometry"]["coordinates"][0]) > 1e6


def test_item_by_id_and_missing_item(features_url, http):
    url = items_url(features_url, "ne_110m_admin_0_countries")
    r = http.get(f"{url}/1", timeout=30)
    assert r.status_code == 200 and r.json()["id"] == 1
    for missing in ("999999", "abc", "1;DROP TABLE x", "99999999999999999999999"):
        r = http.get(f"{url}/{missing}", timeout=30)
        assert r.status_code == 404, missing
        assert r.json()["code"] == "NotFound"


def test_queryables_are_json_schema_2020_12(features_url, http):
    r = http.get(f"{features_url}/collections/ne_110m_admin_0_countries/queryables", timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/schema+json")
    schema = r.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["POP_EST"]["type"] == "number"
    assert schema["properties"]["geom"]["format"] == "geometry-multipolygon"


def test_collection_metadata_lists_crs(features_url, http):
    r = http.get(
        f"{features_url}/collections/clcplus-backbone-polygons", params={"f": "json"}, timeout=30
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["itemType"] == "feature"
    assert body["storageCrs"] == EPSG.format(3035)
    assert CRS84 in body["crs"] and EPSG.format(3035) in body["crs"]


def test_demo_polygons_served_by_our_provider(features_url, http):
    url = items_url(features_url, "clcplus-backbone-polygons")
    r = http.get(url, params={"limit": 5, "bbox": "9.7,47.2,10,47.5"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Crs"] == f"<{CRS84}>"
    assert len(r.json()["features"]) == 5
    r = http.get(
        url, params={"limit": 5, "crs": EPSG.format(3035), "filter": "code = 1"}, timeout=30
    )
    assert {f["properties"]["code"] for f in r.json()["features"]} == {1}
    html = http.get(url, params={"f": "html", "limit": 2}, timeout=30)
    assert html.status_code == 200 and "text/html" in html.headers["Content-Type"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=unlimited",
        "limit=-1",
        "bbox=1,2,3",
        "bbox=0,10,5,0",
        "bbox=a,b,c,d",
        "crs=EPSG:999999",
        "bbox-crs=http://example.org/crs&bbox=1,2,3,4",
        "filter=name%20%3D",
        "filter=nosuch%3D1",
        "filter=name%3D'x'%3B%20DROP%20TABLE%20x",
        "sortby=name%3BDROP%20TABLE%20x",
        "properties=name,%22x%22",
        "datetime=yesterday",
        "cursor=!!!",
        "pop_max=many",
        "frobnicate=1",
        "filter=pop_max%3D'text'",
        "filter-lang=sql&filter=1%3D1",
        "filter=S_INTERSECTS(geom,POINT(1))",
    ],
)
def test_bad_input_answers_400_with_an_ogc_exception(features_url, http, query):
    r = http.get(
        f"{items_url(features_url, 'ne_110m_populated_places_simple')}?{query}", timeout=30
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_unknown_property_is_named(features_url, http):
    r = http.get(
        items_url(features_url, "ne_110m_populated_places_simple"),
        params={"filter": "colour = 'red'"},
        timeout=30,
    )
    assert r.status_code == 400 and "'colour'" in r.json()["description"]


def test_bad_post_bodies(features_url, http):
    url = items_url(features_url, "ne_110m_populated_places_simple")
    for data, ctype in (
        ("{not json", "application/query-cql-json"),
        ('{"op": "=", "args": [{"property": "x"}, 1]}', "application/json"),
        ("<xml/>", "application/xml"),
    ):
        r = http.post(url, data=data, headers={"Content-Type": ctype}, timeout=30)
        assert r.status_code == 400, (data, r.text)
