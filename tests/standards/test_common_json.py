"""OGC API - Common Part 1, ``.../ogcapi-common-1/1.0/conf/json``: the landing page and the
conformance declaration as JSON, valid against their schemas."""

from __future__ import annotations

import pytest

from tests.schemas import validate
from tests.standards.helpers import FEATURES, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-common-1/1.0/conf/json"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize(
    ("path", "schema"), [("/", "landingPage.yaml"), ("/conformance", "confClasses.yaml")]
)
@pytest.mark.parametrize(
    "how", [{"params": {"f": "json"}}, {"headers": {"Accept": "application/json"}}]
)
def test_json(api, http, path, schema, how):
    """/req/json/definition, /req/json/content: 200 application/json, by f or Accept."""
    r = http.get(f"{api}{path}", timeout=30, **how)
    assert r.status_code == 200
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    validate(r.json(), FEATURES + schema)
