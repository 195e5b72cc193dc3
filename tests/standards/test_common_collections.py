"""OGC API - Common Part 2, ``.../ogcapi-common-2/1.0/conf/collections``: the collections
list and each collection, linked and described alike."""

from __future__ import annotations

import pytest

from tests.schemas import validate
from tests.standards.helpers import FEATURES, OGC, link

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-common-2/1.0/conf/collections"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_collections(api, http):
    """/collections: 200, each collection with its id and links, self and alternate."""
    r = http.get(f"{api}/collections", params={"f": "json"}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert link(body, "self", "application/json")["href"] == f"{api}/collections"
    assert link(body, "alternate", "text/html")
    assert link(http.get(f"{api}/", timeout=30).json(), "data")["href"] == f"{api}/collections"
    assert body["collections"]
    for collection in body["collections"]:
        assert collection["id"] and collection["links"]
        assert all("rel" in x and "type" in x for x in collection["links"])


def test_each_collection_is_its_entry(api, http):
    """/collections/{collectionId}: the same description as in the list, links included."""
    listed = http.get(f"{api}/collections", timeout=60).json()["collections"]
    for entry in listed:
        r = http.get(f"{api}/collections/{entry['id']}", params={"f": "json"}, timeout=30)
        assert r.status_code == 200
        assert r.json() == entry
        assert link(entry, "self")["href"] == f"{api}/collections/{entry['id']}"


def test_feature_collections_follow_the_features_schema(api, http):
    """The feature collections also meet Features' collection.yaml (Part 1's subset)."""
    for entry in http.get(f"{api}/collections", timeout=60).json()["collections"]:
        if entry.get("itemType") == "feature":
            validate(entry, FEATURES + "collection.yaml")


def test_unknown_collection_is_404(api, http):
    r = http.get(f"{api}/collections/no-such-collection", timeout=30)
    assert r.status_code == 404 and r.json()["type"] == "NotFound"
