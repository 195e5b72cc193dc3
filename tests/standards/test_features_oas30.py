"""OGC API - Features Part 1, ``.../ogcapi-features-1/1.0/conf/oas30``: the API definition
describes every feature collection's items and item operations with the standard's
parameters (``limit``, ``bbox``, ``datetime`` as in the official ``ogcapi-features-1.yaml``),
their media types and statuses, and the server does what it declares (the generic checks
are ``test_common_oas30``)."""

from __future__ import annotations

import pytest
import yaml

from tests.schemas import ROOT
from tests.standards.helpers import OGC, feature_collections, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-1/1.0/conf/oas30"
GEOJSON = "application/geo+json"
OFFICIAL = ROOT / "schemas.opengis.net/ogcapi/features/part1/1.0/openapi/ogcapi-features-1.yaml"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.fixture(scope="module")
def official() -> dict:
    return yaml.safe_load(OFFICIAL.read_text())["components"]["parameters"]


def test_every_feature_collection_is_described(api, http, oas, official):
    for collection in feature_collections(api, http):
        cid = collection["id"]
        items = oas["paths"][f"/collections/{cid}/items"]["get"]
        item = oas["paths"][f"/collections/{cid}/items/{{featureId}}"]["get"]
        assert GEOJSON in items["responses"]["200"]["content"]
        assert GEOJSON in item["responses"]["200"]["content"]
        assert {"400", "404", "500"} <= set(items["responses"])
        declared = parameters(oas, items)
        for name in ("limit", "bbox"):
            assert declared[name]["in"] == official[name]["in"] == "query"
            assert declared[name]["schema"]["type"] == official[name]["schema"]["type"]
            assert declared[name]["style"] == official[name]["style"]
            assert declared[name]["explode"] == official[name]["explode"]
        limit = declared["limit"]["schema"]
        assert limit["minimum"] == 1 and limit["maximum"] >= limit["default"]
        bbox = declared["bbox"]["schema"]
        assert bbox["oneOf"] == official["bbox"]["schema"]["oneOf"]
        if "datetime" in declared:
            assert declared["datetime"]["schema"] == official["datetime"]["schema"]
        path = parameters(oas, item, "path")
        assert path["featureId"]["required"] is True


def test_limit_maximum_is_what_the_server_serves(api, http, oas):
    cid = feature_collections(api, http)[0]["id"]
    maximum = parameters(oas, oas["paths"][f"/collections/{cid}/items"]["get"])["limit"]["schema"][
        "maximum"
    ]
    r = http.get(f"{api}/collections/{cid}/items", params={"limit": maximum + 1}, timeout=120)
    assert r.status_code == 200 and r.json()["numberReturned"] <= maximum
