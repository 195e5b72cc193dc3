"""OGC API - Features Part 3, ``.../ogcapi-features-3/1.0/conf/queryables-query-parameters``:
every queryable of a simple type is an equality parameter of ``/items``, declared in the
API definition with the queryable's schema (so GDAL's OAPIF driver sends ``-where``
equalities to the server)."""

from __future__ import annotations

import pytest

from tests.standards.helpers import COUNTRIES, OGC, PLACES, REL, link, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-3/1.0/conf/queryables-query-parameters"
SIMPLE = ("string", "number", "integer", "boolean")
STANDARD = {"limit", "bbox", "datetime", "filter", "crs", "f", "offset", "count"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


def queryables(api, http, cid) -> dict:
    collection = http.get(f"{api}/collections/{cid}", timeout=30).json()
    return http.get(link(collection, f"{REL}queryables")["href"], timeout=30).json()["properties"]


@pytest.mark.parametrize("cid", [PLACES, COUNTRIES])
def test_each_simple_queryable_is_a_declared_parameter(api, http, oas, cid):
    """/req/queryables-query-parameters/parameters A-C."""
    declared = parameters(oas, oas["paths"][f"/collections/{cid}/items"]["get"])
    for name, prop in queryables(api, http, cid).items():
        if prop.get("type") in SIMPLE and name not in STANDARD:
            assert declared[name]["schema"]["type"] == prop["type"], name
            if "format" in prop:
                assert declared[name]["schema"]["format"] == prop["format"]


@pytest.mark.parametrize(
    ("cid", "name", "value", "check"),
    [
        (COUNTRIES, "CONTINENT", "Europe", lambda p: p["CONTINENT"] == "Europe"),
        (PLACES, "featurecla", "Admin-0 capital", lambda p: p["featurecla"] == "Admin-0 capital"),
        (PLACES, "fid", "7", None),
    ],
)
def test_only_matching_features(api, http, cid, name, value, check):
    """/req/queryables-query-parameters/parameters D (the id is a queryable too)."""
    r = http.get(f"{api}/collections/{cid}/items", params={name: value, "limit": 1000}, timeout=30)
    assert r.status_code == 200, r.text
    features = r.json()["features"]
    assert features
    if check is None:
        assert [f["id"] for f in features] == [int(value)]
    else:
        assert all(check(f["properties"]) for f in features)
        everything = http.get(
            f"{api}/collections/{cid}/items", params={"limit": 1000}, timeout=30
        ).json()["features"]
        assert len(features) == sum(check(f["properties"]) for f in everything)


def test_a_value_of_the_wrong_type_is_400(api, http):
    r = http.get(f"{api}/collections/{PLACES}/items", params={"pop_max": "many"}, timeout=30)
    assert r.status_code == 400 and "pop_max" in r.json()["detail"]
