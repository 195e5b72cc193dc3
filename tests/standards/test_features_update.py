"""OGC API - Features Part 4, ``.../ogcapi-features-4/1.0/conf/update``: PATCH changes what
it names (JSON Merge Patch: ``null`` unsets), keeps the rest, cannot change the id, and is
404 for no feature."""

from __future__ import annotations

import pytest

from tests.features.conftest import EDITABLE
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-4/1.0/conf/update"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[9.85, 47.30], [9.86, 47.30], [9.86, 47.31], [9.85, 47.31], [9.85, 47.30]]],
}
MERGE = {"Content-Type": "application/merge-patch+json"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.fixture
def location(api, http) -> str:
    created = http.post(
        f"{api}/collections/{EDITABLE}/items",
        json={"type": "Feature", "geometry": SQUARE, "properties": {"name": "z", "value": 1}},
        headers={"Content-Type": "application/geo+json"},
        timeout=30,
    )
    assert created.status_code == 201
    return created.headers["Location"]


def test_patch_changes_only_what_it_names(http, location):
    assert http.options(location, timeout=30).headers["Allow"].count("PATCH") == 1
    r = http.patch(location, json={"properties": {"value": 7}}, headers=MERGE, timeout=30)
    assert r.status_code in (200, 204)
    props = http.get(location, timeout=30).json()["properties"]
    assert props["value"] == 7 and props["name"] == "z"


def test_null_unsets(http, location):
    http.patch(location, json={"properties": {"value": None}}, headers=MERGE, timeout=30)
    assert http.get(location, timeout=30).json()["properties"]["value"] is None


def test_the_geometry_is_a_geojson_geometry(http, location):
    moved = {
        "type": "Polygon",
        "coordinates": [[[9.9, 47.3], [9.91, 47.3], [9.91, 47.31], [9.9, 47.31], [9.9, 47.3]]],
    }
    assert http.patch(location, json={"geometry": moved}, headers=MERGE, timeout=30).ok
    stored = http.get(location, timeout=30).json()["geometry"]  # a MultiPolygon column
    assert stored["coordinates"][0][0][0] == pytest.approx([9.9, 47.3], abs=1e-7)


def test_bad_patches(api, http, location):
    assert (
        http.patch(location, json={"properties": {"value": "x"}}, headers=MERGE).status_code == 400
    )
    missing = f"{api}/collections/{EDITABLE}/items/987654321"
    assert http.patch(missing, json={"properties": {"value": 1}}, headers=MERGE).status_code == 404
