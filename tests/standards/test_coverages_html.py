"""OGC API - Coverages 1.0 (rc2), ``.../conf/html``: the coverage as an HTML 5 page that
shows it (a preview image per year, the legend, downloads)."""

from __future__ import annotations

import pytest

from tests.standards.coverage import coverage_url
from tests.standards.helpers import OGC, html_page

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/html"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize("how", [{"params": {"f": "html"}}, {"headers": {"Accept": "text/html"}}])
def test_coverage_page(api, http, how):
    """/req/html/coverage A-C."""
    r = http.get(coverage_url(api), timeout=60, **how)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    hrefs = html_page(r.text)
    assert "<img" in r.text and "Sealed" in r.text
    assert any("f=geotiff" in h or "f=tif" in h for h in hrefs)
