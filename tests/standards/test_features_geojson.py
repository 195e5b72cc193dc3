"""OGC API - Features Part 1, ``.../ogcapi-features-1/1.0/conf/geojson``: features and
feature collections as GeoJSON, valid against the GeoJSON schemas, links as a foreign
member; everything else as JSON."""

from __future__ import annotations

import pytest

from tests.schemas import validate
from tests.standards.helpers import COUNTRIES, DEMO_VECTOR, GEOJSON, OGC, PLACES

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-1/1.0/conf/geojson"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize("cid", [DEMO_VECTOR, PLACES, COUNTRIES])
@pytest.mark.parametrize(
    "how",
    [
        {},
        {"params": {"f": "json"}},
        {"params": {"f": "geojson"}},
        {"headers": {"Accept": "application/geo+json"}},
    ],
)
def test_feature_collection_and_feature(api, http, cid, how):
    """/req/geojson/definition, /req/geojson/content: application/geo+json, valid
    GeoJSON, ``links`` as a foreign member."""
    params = {"limit": 3, **how.get("params", {})}
    r = http.get(
        f"{api}/collections/{cid}/items", params=params, headers=how.get("headers"), timeout=30
    )
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/geo+json"
    body = r.json()
    validate(body, GEOJSON + "FeatureCollection.json")
    assert isinstance(body["links"], list)
    fid = body["features"][0]["id"]
    one = http.get(f"{api}/collections/{cid}/items/{fid}", headers=how.get("headers"), timeout=30)
    assert one.status_code == 200 and one.headers["Content-Type"] == "application/geo+json"
    validate(one.json(), GEOJSON + "Feature.json")


def test_skip_geometry_is_still_geojson(api, http):
    body = http.get(
        f"{api}/collections/{PLACES}/items",
        params={"limit": 3, "skipGeometry": "true"},
        timeout=30,
    ).json()
    validate(body, GEOJSON + "FeatureCollection.json")
    assert all(f["geometry"] is None for f in body["features"])


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", f"/collections/{PLACES}"])
def test_other_resources_are_json(api, http, path):
    r = http.get(f"{api}{path}", timeout=30)
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
