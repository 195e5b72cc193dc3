"""The catalogue's searches take exactly the query parameters the OpenAPI document declares
(they need the database, so the unit tests of the document cannot send them)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

SAMPLES = {
    "bbox": "-180,-90,180,90",
    "datetime": "2018-01-01/..",
    "filter": "year = 2018",
    "sortby": "id",
    "properties": "title",
    "q": "backbone",
    "externalIds": "landgrid:",
    "collections": "clcplus-backbone",
    "intersects": json.dumps({"type": "Point", "coordinates": [9.85, 47.32]}),
}
BY_TYPE = {"integer": "1", "boolean": "true", "number": "1"}


def sample(parameter: dict, cursor: str) -> str:
    schema = parameter["schema"]
    if parameter["name"] in ("cursor", "token"):
        return cursor
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "date-time":
        return "2018-01-01T00:00:00Z"
    return SAMPLES.get(parameter["name"], BY_TYPE.get(schema.get("type", ""), "x"))


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/collections/catalogue/items", "/collections/catalogue/items"),
        ("/stac/search", "/stac/search"),
        ("/stac/collections/{collectionId}/items", "/stac/collections/clcplus-backbone/items"),
    ],
)
def test_declared_parameters_accepted_and_no_other(http, base_url, path, served):
    operation = http.get(f"{base_url}/openapi").json()["paths"][path]["get"]
    declared = [p for p in operation["parameters"] if p["in"] == "query"]
    url = f"{base_url}{served}"
    first = http.get(url, params={"limit": "1"}).json()
    after = next(link["href"] for link in first["links"] if link["rel"] == "next")
    cursor = next(
        v[0] for k, v in parse_qs(urlsplit(after).query).items() if k in ("cursor", "token")
    )
    for parameter in declared:
        value = sample(parameter, cursor)
        r = http.get(url, params={parameter["name"]: value})
        assert r.status_code == 200, (parameter["name"], value, r.text)
    r = http.get(url, params={"nonsense": "1"})
    assert r.status_code == 400 and "nonsense" in r.json()["detail"]
