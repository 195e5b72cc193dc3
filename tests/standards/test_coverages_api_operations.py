"""OGC API - Coverages 1.0 (rc2), ``.../conf/api-operations``: the API definition has the
coverage path the collection links to, describes every query parameter the route takes
(and the route takes no other), and its operation id ends in ``.getCoverage``."""

from __future__ import annotations

import pytest

from landgrid.coverage.query import KNOWN
from tests.standards.helpers import DEMO_RASTER, OGC, REL, link, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/api-operations"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_completeness_and_operation_id(api, http, oas):
    """/req/api-operations/completeness A-C, operation-id A."""
    doc = http.get(f"{api}/collections/{DEMO_RASTER}", timeout=30).json()
    href = link(doc, f"{REL}coverage")["href"].split("?")[0]
    path = href.removeprefix(api)
    operation = oas["paths"][path]["get"]
    assert operation["operationId"].endswith(".getCoverage")
    declared = {name.lower() for name in parameters(oas, operation)}
    assert declared == KNOWN
    for name in declared:
        r = http.get(href, params={name: "?"}, timeout=60)
        assert "unknown query parameter" not in r.text, name
    assert http.get(href, params={"nonsense": "1"}, timeout=60).status_code == 400
