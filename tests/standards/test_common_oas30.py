"""OGC API - Common Part 1, ``.../ogcapi-common-1/1.0/conf/oas30``: the API definition is a
valid, self-contained OpenAPI 3.0 document (JSON and HTML), complete for the statuses the
server answers, and the server implements what it declares."""

from __future__ import annotations

import json

import pytest

from tests.schemas import validate_openapi
from tests.standards.helpers import OGC, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-common-1/1.0/conf/oas30"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_definition_in_json_and_html(api, http):
    """/req/oas30/oas-definition-1."""
    r = http.get(f"{api}/openapi", headers={"Accept": OPENAPI_JSON}, timeout=60)
    assert r.status_code == 200
    assert r.headers["Content-Type"].replace(" ", "") == OPENAPI_JSON
    page = http.get(f"{api}/openapi", headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")


def test_valid_openapi_30_without_remote_references(oas):
    """/req/oas30/oas-definition-2; every reference is inside the document."""
    assert oas["openapi"].startswith("3.0.")
    validate_openapi(oas)
    text = json.dumps(oas)
    assert '"$ref": "http' not in text and '"$ref": "../' not in text


def test_every_status_seen_is_declared(oas, http, resources):
    """/req/oas30/completeness, /req/oas30/exceptions-codes: for every GET, the answers to
    a plain request and to a bad one are among its declared responses."""
    failures = []
    for path, url, operation in resources.gets(oas):
        declared = set(operation["responses"])
        for params in ({}, {"no-such-parameter": "1"}):
            status = str(http.get(url, params=params, timeout=60).status_code)
            if status not in declared:
                failures.append((path, params, status))
    missing = http.get(f"{resources.api}/jobs/no-such-job", timeout=30)
    assert str(missing.status_code) in oas["paths"]["/jobs/{jobId}"]["get"]["responses"]
    assert not failures, failures


def test_every_declared_query_parameter_is_implemented(oas, http, resources):
    """/req/oas30/oas-impl: a declared parameter with a valid value is never refused as
    unknown; the documented example or default, else a value of its type."""
    failures = []
    for path, url, operation in resources.gets(oas):
        for name, param in parameters(oas, operation).items():
            r = http.get(url, params={name: _valid(param)}, timeout=60)
            if r.status_code == 400 and "unknown query parameter" in r.text:
                failures.append((path, name))
    assert not failures, failures


def _valid(param: dict) -> str:
    schema = param["schema"]
    if "default" in schema:
        value = schema["default"]
    elif "enum" in schema:
        value = schema["enum"][0]
    elif "example" in param:
        value = param["example"]
    else:
        value = {"integer": 1, "number": 1, "boolean": "true"}.get(schema.get("type"), "x")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)
