"""The OpenAPI document of the oidc-mode app declares its security schemes per operation."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def document(auth_url) -> dict:
    r = requests.get(f"{auth_url}/openapi?f=json", timeout=30)
    assert r.status_code == 200
    return r.json()


def test_security_schemes(document, oidc):
    schemes = document["components"]["securitySchemes"]
    assert schemes["openIdConnect"] == {
        "type": "openIdConnect",
        "openIdConnectUrl": f"{oidc.issuer}/.well-known/openid-configuration",
    }
    assert schemes["bearer"]["scheme"] == "bearer"


def test_protected_operations_declare_security(document):
    paths = document["paths"]
    execution = paths["/processes/sleep/execution"]["post"]
    assert execution["security"] == [{"bearer": []}, {"openIdConnect": []}]
    assert {"401", "403"} <= set(execution["responses"])
    assert "403" not in paths["/processes/echo/execution"]["post"]["responses"]
    assert "security" in paths["/jobs"]["get"]
    assert "security" in paths["/jobs/{jobId}"]["delete"]


def test_public_operations_declare_none(document):
    paths = document["paths"]
    assert "security" not in paths["/"]["get"]
    assert "security" not in paths["/collections/clcplus-backbone-polygons/items"]["get"]
    assert "security" not in paths["/processes"]["get"]
