"""OGC API - Processes Part 1, ``.../conf/json``: the landing page, conformance, process
list and descriptions, job list, status and results documents in JSON."""

from __future__ import annotations

import pytest

from tests.standards.helpers import OGC
from tests.standards.processes import execute

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/json"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_resources_in_json(api, http):
    """/req/json/definition: 200 application/json by default and by ``f=json``."""
    done = execute(http, api, "echo", {"echoInput": "json"}, response="document")
    job = done.headers["Link"].split(">")[0].lstrip("<")
    for url in (
        f"{api}/",
        f"{api}/conformance",
        f"{api}/processes",
        f"{api}/processes/echo",
        f"{api}/jobs",
        job,
        f"{job}/results",
    ):
        for params in ({}, {"f": "json"}):
            r = http.get(url, params=params, headers={"Accept": "application/json"}, timeout=30)
            assert r.status_code == 200, url
            assert r.headers["Content-Type"].split(";")[0] == "application/json", url
            r.json()
