"""OGC API - Common Part 1, ``http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core``:
HTTP 1.1, and the query parameter rules applied to every operation of the API definition."""

from __future__ import annotations

import http.client

import pytest

from tests.standards.helpers import OGC, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-common-1/1.0/conf/core"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_http_1_1(api):
    """/req/core/http: the server speaks HTTP/1.1."""
    host = api.split("//", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=30)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200 and response.version == 11
    conn.close()


def test_unknown_query_parameter_is_400_on_every_operation(oas, http, resources):
    """/req/core/query-param-name-unknown, for each GET of the API definition."""
    failures = []
    for path, url, _ in resources.gets(oas):
        r = http.get(url, params={"no-such-parameter": "1"}, timeout=60)
        if r.status_code != 400 or "no-such-parameter" not in r.json().get("detail", ""):
            failures.append((path, r.status_code, r.text[:120]))
    assert not failures, failures


def test_invalid_values_are_400(oas, http, resources):
    """/req/core/query-param-value-invalid: a value outside a declared ``enum`` or below a
    declared ``minimum`` is refused, on every GET that declares such a parameter."""
    failures, checked = [], 0
    for path, url, operation in resources.gets(oas):
        for name, param in parameters(oas, operation).items():
            schema = param["schema"]
            if "enum" in schema:
                bad = "no-such-value"
            elif schema.get("type") == "integer" and "minimum" in schema:
                bad = str(schema["minimum"] - 1)
            else:
                continue
            checked += 1
            r = http.get(url, params={name: bad}, timeout=60)
            if r.status_code != 400:
                failures.append((path, name, bad, r.status_code))
    assert checked > 50 and not failures, failures
