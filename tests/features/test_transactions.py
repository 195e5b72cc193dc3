"""Part 4: create, replace, update, delete on an editable collection; read-only elsewhere;
invalid features rejected whole."""

from __future__ import annotations

import pytest
import requests

from tests.features.conftest import EDITABLE

pytestmark = pytest.mark.services

GEOJSON = {"Content-Type": "application/geo+json"}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[9.85, 47.30], [9.86, 47.30], [9.86, 47.31], [9.85, 47.31], [9.85, 47.30]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[9.85, 47.30], [9.86, 47.31], [9.86, 47.30], [9.85, 47.31], [9.85, 47.30]]],
}


def feature(geometry=SQUARE, **properties):
    return {"type": "Feature", "geometry": geometry, "properties": {"name": "zone", **properties}}


@pytest.fixture()
def items_url(features_url):
    return f"{features_url}/collections/{EDITABLE}/items"


def count(items_url) -> int:
    return len(requests.get(items_url, params={"limit": 10000}, timeout=30).json()["features"])


def test_create_read_replace_update_delete(items_url):
    created = requests.post(items_url, json=feature(value=1), headers=GEOJSON, timeout=30)
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    item = requests.get(location, timeout=30).json()
    assert item["properties"]["name"] == "zone" and item["properties"]["value"] == 1
    ring = item["geometry"]["coordinates"][0][0]
    assert ring[0] == pytest.approx([9.85, 47.30])

    replaced = requests.put(location, json=feature(name="renamed"), headers=GEOJSON, timeout=30)
    assert replaced.status_code == 204, replaced.text
    item = requests.get(location, timeout=30).json()
    assert item["properties"]["name"] == "renamed" and item["properties"]["value"] is None

    patched = requests.patch(
        location,
        json={"properties": {"value": 7}},
        timeout=30,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 204, patched.text
    item = requests.get(location, timeout=30).json()
    assert item["properties"] == {"name": "renamed", "value": 7, "surveyed": None}

    assert requests.delete(location, timeout=30).status_code == 204
    assert requests.get(location, timeout=30).status_code == 404
    assert requests.delete(location, timeout=30).status_code == 404


def test_content_crs_is_honoured(items_url):
    # the same square given in EPSG:3035 (northing first, as that CRS defines)
    from pyproj import Transformer

    to_laea = Transformer.from_crs("OGC:CRS84", "EPSG:3035")
    ring = [list(to_laea.transform(x, y)) for x, y in SQUARE["coordinates"][0]]
    body = feature({"type": "Polygon", "coordinates": [ring]})
    created = requests.post(
        items_url,
        json=body,
        timeout=30,
        headers={**GEOJSON, "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/3035>"},
    )
    assert created.status_code == 201, created.text
    item = requests.get(created.headers["Location"], timeout=30).json()
    assert item["geometry"]["coordinates"][0][0][0] == pytest.approx([9.85, 47.30], abs=1e-6)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (feature(BOWTIE), "invalid geometry"),
        (feature(value="seven"), "value"),
        (feature(colour="red"), "colour"),
        (feature(surveyed="yesterday"), "surveyed"),
        ({"type": "Feature", "geometry": SQUARE, "properties": {"value": 1}}, "name"),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": "x"},
                "properties": {"name": "z"},
            },
            "geometry",
        ),
        (
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [9.8, 47.3]},
                "properties": {"name": "z"},
            },
            "Geometry type",
        ),
        ({"type": "FeatureCollection", "features": []}, "Feature"),
        # found by schemathesis: an empty polygon was stored, an object as type a 500
        (feature({"type": "Polygon", "coordinates": []}), "no coordinates"),
        (feature({"type": {}, "coordinates": []}), "must be a GeoJSON"),
        (
            feature({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, True], [0, 0]]]}),
            "finite numbers",
        ),
    ],
)
def test_invalid_features_change_nothing(items_url, body, needle):
    before = count(items_url)
    r = requests.post(items_url, json=body, headers=GEOJSON, timeout=30)
    assert r.status_code == 400, r.text
    assert needle in r.json()["description"]
    assert count(items_url) == before


def test_read_only_collections_refuse_edits(features_url):
    url = f"{features_url}/collections/clcplus-backbone-polygons/items"
    r = requests.post(url, json=feature(), headers=GEOJSON, timeout=30)
    assert r.status_code == 405
    assert requests.delete(f"{url}/1", timeout=30).status_code == 405


def test_conformance_declares_transactions(features_url):
    classes = requests.get(f"{features_url}/conformance", timeout=30).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete" in classes
