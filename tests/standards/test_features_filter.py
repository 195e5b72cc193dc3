"""OGC API - Features Part 3, ``.../ogcapi-features-3/1.0/conf/filter``: ``filter``,
``filter-lang`` (its enum the languages served, its default the one assumed) and
``filter-crs`` declared and honoured; other predicates ANDed; bad values are 400."""

from __future__ import annotations

import pytest

from tests.standards.helpers import COUNTRIES, EPSG, OGC, PLACES, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-3/1.0/conf/filter"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def ids(api, http, cid, **params) -> set:
    r = http.get(f"{api}/collections/{cid}/items", params={"limit": 1000, **params}, timeout=30)
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["features"]}


def test_parameters_declared(oas):
    """/req/filter/filter-param, filter-lang-param (A-C), filter-crs-param (A)."""
    declared = parameters(oas, oas["paths"][f"/collections/{PLACES}/items"]["get"])
    assert declared["filter"]["schema"]["type"] == "string"
    lang = declared["filter-lang"]["schema"]
    assert lang["enum"] == ["cql2-text", "cql2-json"] and lang["default"] == "cql2-text"
    assert declared["filter-crs"]["schema"]["format"] == "uri"


def test_filter_crs(api, http):
    """/req/filter/filter-crs-wgs84, filter-crs-param B-C: CRS84 by default; EPSG:4326
    coordinates latitude first; an unsupported CRS is an error."""
    europe = ids(api, http, COUNTRIES, filter="S_INTERSECTS(geom, BBOX(5, 45, 15, 55))")
    assert europe
    lat_first = ids(
        api,
        http,
        COUNTRIES,
        filter="S_INTERSECTS(geom, BBOX(45, 5, 55, 15))",
        **{"filter-crs": EPSG.format(4326)},
    )
    assert lat_first == europe
    r = http.get(
        f"{api}/collections/{COUNTRIES}/items",
        params={"filter": "S_INTERSECTS(geom, POINT(1 1))", "filter-crs": EPSG.format(32632)},
        timeout=30,
    )
    assert r.status_code == 400


def test_mixing_expressions(api, http):
    """/req/filter/mixing-expressions, response: other predicates are ANDed."""
    big = ids(api, http, PLACES, filter="pop_max > 5000000")
    boxed = ids(api, http, PLACES, bbox="-10,35,30,60")
    both = ids(api, http, PLACES, filter="pop_max > 5000000", bbox="-10,35,30,60")
    assert both == big & boxed and both and both != big


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "pop_max >"},
        {"filter": "pop_max > 1", "filter-lang": "cql-text"},
        {"filter": "{}", "filter-lang": "cql2-json"},
        {"filter": "pop_max > 1", "filter-crs": "junk"},
    ],
)
def test_bad_filter_parameters_are_400(api, http, params):
    r = http.get(f"{api}/collections/{PLACES}/items", params=params, timeout=30)
    assert r.status_code == 400 and r.json()["type"] == "InvalidParameterValue"
