"""OGC API - Features Part 1, ``.../ogcapi-features-1/1.0/conf/html``: every resource as an
HTML 5 page too, by ``f=html`` or a browser's ``Accept``, showing its content and links."""

from __future__ import annotations

import html

import pytest

from tests.standards.helpers import OGC, PLACES, html_page

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-features-1/1.0/conf/html"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize(
    "path",
    ["/", "/conformance", "/collections", f"/collections/{PLACES}", f"/collections/{PLACES}/items"],
)
@pytest.mark.parametrize("how", [{"params": {"f": "html"}}, {"headers": {"Accept": BROWSER}}])
def test_pages(api, http, path, how):
    """/req/html/definition, /req/html/content."""
    r = http.get(f"{api}{path}", timeout=60, **how)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    html_page(r.text)


def test_items_page_shows_the_features_and_pages_on(api, http):
    body = http.get(f"{api}/collections/{PLACES}/items", params={"limit": 5}, timeout=30).json()
    page = http.get(
        f"{api}/collections/{PLACES}/items", params={"limit": 5, "f": "html"}, timeout=30
    )
    text = html.unescape(page.text)
    for feature in body["features"]:
        assert str(feature["properties"]["name"]) in text
    hrefs = [html.unescape(h) for h in html_page(page.text)]
    assert any("cursor=" in h and "f=html" in h for h in hrefs)  # the next page


def test_feature_page(api, http):
    fid = http.get(f"{api}/collections/{PLACES}/items", params={"limit": 1}, timeout=30).json()[
        "features"
    ][0]["id"]
    feature = http.get(f"{api}/collections/{PLACES}/items/{fid}", timeout=30).json()
    alternate = next(x for x in feature["links"] if x["rel"] == "alternate")
    page = http.get(alternate["href"], timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html_page(page.text)
    assert feature["properties"]["name"] in html.unescape(page.text)
