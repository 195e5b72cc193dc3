"""OGC API - Features Part 3, ``.../ogcapi-features-3/1.0/conf/queryables``: each feature
collection links its queryables, a JSON Schema (2020-12) of what a filter may name."""

from __future__ import annotations

import jsonschema
import pytest

from tests.standards.helpers import OGC, PLACES, REL, feature_collections, link

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-3/1.0/conf/queryables"
SCHEMA_JSON = "application/schema+json"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_linked_and_served(api, http):
    """/req/queryables/queryables-link, get-queryables-op, get-queryables-response."""
    for collection in feature_collections(api, http):
        href = link(collection, f"{REL}queryables", SCHEMA_JSON)["href"]
        r = http.get(href, headers={"Accept": SCHEMA_JSON}, timeout=30)
        assert r.status_code == 200 and r.headers["Content-Type"] == SCHEMA_JSON
        schema = r.json()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == href.split("?")[0] and schema["type"] == "object"
        assert schema["additionalProperties"] is False
        for name, prop in schema["properties"].items():
            if prop.get("format", "").startswith("geometry-"):  # D, E: spatial
                assert "type" not in prop and "$ref" not in prop
            else:  # C, F: a type; times as formatted strings
                assert "type" in prop, name
                if prop.get("x-ogc-role") == "primary-instant":
                    assert prop["type"] == "string" and prop["format"] in ("date", "date-time")


def test_only_queryables_in_filters(api, http):
    """/req/queryables/expression-construction, and ``additionalProperties: false``: a
    property that is not a queryable is a 400."""
    url = f"{api}/collections/{PLACES}/items"
    assert http.get(url, params={"filter": "pop_max > 0"}, timeout=30).status_code == 200
    r = http.get(url, params={"filter": "no_such_property = 1"}, timeout=30)
    assert r.status_code == 400 and "no_such_property" in r.json()["detail"]
