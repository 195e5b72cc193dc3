"""OGC API - Common Part 1, ``.../ogcapi-common-1/1.0/conf/html``: the landing page and the
conformance declaration as HTML 5 pages showing what the JSON holds, links as anchors."""

from __future__ import annotations

import html

import pytest

from tests.standards.helpers import OGC, html_page

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-common-1/1.0/conf/html"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize("how", [{"params": {"f": "html"}}, {"headers": {"Accept": "text/html"}}])
def test_landing_page(api, http, how):
    """/req/html/definition, /req/html/content: every link of the JSON is an anchor."""
    r = http.get(f"{api}/", timeout=30, **how)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    hrefs = {html.unescape(h) for h in html_page(r.text)}
    for candidate in http.get(f"{api}/", params={"f": "json"}, timeout=30).json()["links"]:
        assert candidate["href"] in hrefs, candidate


@pytest.mark.parametrize("how", [{"params": {"f": "html"}}, {"headers": {"Accept": "text/html"}}])
def test_conformance_page(api, http, how, conforms_to):
    r = http.get(f"{api}/conformance", timeout=30, **how)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    html_page(r.text)
    for uri in conforms_to:
        assert uri in html.unescape(r.text)
