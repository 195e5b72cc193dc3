"""CQL2, ``http://www.opengis.net/spec/cql2/1.0/conf/cql2-json``: filters in CQL2 JSON, by
GET (``filter-lang=cql2-json``) and as a JSON body; the ATS predicates' JSON forms are
valid against the official ``cql2.json`` schema; JSON that is not CQL2 is a 400."""

from __future__ import annotations

import json

import pytest

from tests.features.ats import predicates
from tests.schemas import validate
from tests.standards.helpers import COUNTRIES, CQL2, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/cql2/1.0/conf/cql2-json"
EUROPE = {"op": "=", "args": [{"property": "CONTINENT"}, "Europe"]}


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_the_ats_json_forms_are_cql2_json():
    """One predicate of each ATS class (validating one takes about a second)."""
    found = predicates()
    assert len(found) == 351
    for name in sorted({p["class"] for p in found}):
        validate(next(p for p in found if p["class"] == name)["cql2_json"], CQL2)


def test_json_by_get_and_post(api, http):
    url = f"{api}/collections/{COUNTRIES}/items"
    get = http.get(
        url,
        params={"filter": json.dumps(EUROPE), "filter-lang": "cql2-json", "limit": 1000},
        timeout=30,
    ).json()["numberReturned"]
    assert get > 30
    for media in ("application/query-cql-json", "application/cql2+json", "application/json"):
        r = http.post(
            url, params={"limit": 1000}, data=json.dumps(EUROPE), headers={"Content-Type": media}
        )
        assert r.status_code == 200 and r.json()["numberReturned"] == get, media


@pytest.mark.parametrize(
    "body",
    [{"op": "nope", "args": []}, {"op": "=", "args": [{"property": "CONTINENT"}]}, [1, 2], "x"],
)
def test_not_cql2_json_is_400(api, http, body):
    r = http.get(
        f"{api}/collections/{COUNTRIES}/items",
        params={"filter": json.dumps(body), "filter-lang": "cql2-json"},
        timeout=30,
    )
    assert r.status_code == 400
