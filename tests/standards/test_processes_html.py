"""OGC API - Processes Part 1, ``.../conf/html``: every resource as an HTML 5 page too, by
``f=html`` or a browser's ``Accept``."""

from __future__ import annotations

import pytest

from tests.standards.helpers import OGC, html_page
from tests.standards.processes import execute

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/html"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_pages(api, http):
    """/req/html/definition, /req/html/content."""
    done = execute(http, api, "echo", {"echoInput": "page"}, response="document")
    job = done.headers["Link"].split(">")[0].lstrip("<")
    for url in (f"{api}/processes", f"{api}/processes/echo", f"{api}/jobs", job, f"{job}/results"):
        for how in ({"params": {"f": "html"}}, {"headers": {"Accept": "text/html"}}):
            r = http.get(url, timeout=30, **how)
            assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html"), url
            html_page(r.text)
    process = http.get(f"{api}/processes/echo", params={"f": "html"}, timeout=30).text
    assert "echoInput" in process
