"""OGC API - Common Part 1, ``.../ogcapi-common-1/1.0/conf/landing-page``: the landing
page, the API definition it links, and the conformance declaration."""

from __future__ import annotations

import pytest

from tests.schemas import validate
from tests.standards.helpers import FEATURES, OGC, REL, link

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-common-1/1.0/conf/landing-page"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_root(api, http):
    """/req/landing-page/root-op, root-success: 200, landingPage.yaml, the API definition
    and the conformance declaration linked."""
    r = http.get(f"{api}/", params={"f": "json"}, timeout=30)
    assert r.status_code == 200
    body = r.json()
    validate(body, FEATURES + "landingPage.yaml")
    assert link(body, "service-desc") or link(body, "service-doc")
    assert link(body, "conformance")["href"] == f"{api}/conformance"


def test_api_definition_links(api, http):
    """/req/landing-page/api-definition-op, api-definition-success: every service-desc and
    service-doc link answers 200 with its media type."""
    body = http.get(f"{api}/", timeout=30).json()
    for rel in ("service-desc", "service-doc"):
        for candidate in [x for x in body["links"] if x["rel"] == rel]:
            r = http.get(candidate["href"], headers={"Accept": candidate["type"]}, timeout=60)
            assert r.status_code == 200
            assert (
                r.headers["Content-Type"]
                .replace(" ", "")
                .startswith(candidate["type"].replace(" ", ""))
            )


def test_conformance(api, http):
    """/req/landing-page/conformance-op, conformance-success: at ``{root}/conformance`` and
    at every conformance link, confClasses.yaml."""
    body = http.get(f"{api}/", timeout=30).json()
    hrefs = {f"{api}/conformance"} | {
        x["href"] for x in body["links"] if x["rel"] in ("conformance", f"{REL}conformance")
    }
    for href in hrefs:
        r = http.get(href, params={"f": "json"}, timeout=30)
        assert r.status_code == 200
        validate(r.json(), FEATURES + "confClasses.yaml")
        assert CLASS in r.json()["conformsTo"]
