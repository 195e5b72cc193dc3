"""OGC API - Features Part 3, ``.../ogcapi-features-3/1.0/conf/features-filter``: filtering
the features of every collection, each linking its queryables; a filter AND ``bbox``,
``datetime`` and property parameters; invalid filter parameters are 400."""

from __future__ import annotations

import pytest

from tests.standards.conftest import TIMED
from tests.standards.helpers import OGC, PLACES, REL, feature_collections, link

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-3/1.0/conf/features-filter"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_every_collection_links_queryables_and_filters(api, http):
    """/req/features-filter/get-queryables-op, queryables-link, filter-param."""
    for collection in feature_collections(api, http):
        cid = collection["id"]
        href = link(collection, f"{REL}queryables")["href"]
        assert href == f"{api}/collections/{cid}/queryables"
        assert http.get(href, timeout=30).status_code == 200
        r = http.get(f"{api}/collections/{cid}/items", params={"filter": "1 = 1"}, timeout=60)
        assert r.status_code == 200, (cid, r.text)


def test_all_predicates_are_anded(api, http):
    """/req/features-filter/response A-D."""

    def ids(**params) -> set:
        body = http.get(
            f"{api}/collections/{TIMED}/items", params={"limit": 100, **params}, timeout=30
        ).json()
        return {f["id"] for f in body["features"]}

    assert ids(filter="id > 1") == {2, 3, 4}
    assert ids(filter="id > 1", datetime="2022-01-01") == {2, 3}
    assert ids(filter="id > 1", datetime="2022-01-01", bbox="6.75,46.65,7,47") == {3}
    assert ids(filter="id > 1", label="no time") == {3}
    assert ids(filter="id > 1", label="closed 2020") == set()


def test_invalid_values_are_400(api, http):
    """/req/features-filter/response E."""
    url = f"{api}/collections/{PLACES}/items"
    for params in ({"filter": "("}, {"filter-lang": "sql"}, {"filter": "x=1", "filter-crs": "x"}):
        assert http.get(url, params=params, timeout=30).status_code == 400, params
