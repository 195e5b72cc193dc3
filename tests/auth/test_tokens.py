"""Every kind of token against the app in oidc mode and the real provider: the honest
ones pass, the forged, expired, misdirected and revoked ones get 401 ``invalid_token``."""

from __future__ import annotations

import time

import pytest
import requests

from tests.auth import forge

pytestmark = pytest.mark.services


def get(url: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(url, headers=headers, timeout=30)


def assert_invalid(response: requests.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert reason in challenge
    assert response.json()["type"] == "Unauthorized"


def test_no_token_is_a_bare_challenge(auth_url):
    r = get(f"{auth_url}/jobs")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="landgrid"'
    assert r.headers["Content-Type"].startswith("application/json")


def test_provider_jwt_is_accepted(auth_url, oidc):
    r = get(f"{auth_url}/jobs", oidc.token("user-a"))
    assert r.status_code == 200, r.text
    assert oidc.token("user-a").count(".") == 2  # a JWT, validated locally


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not valid yet"),
        ({"aud": "urn:someone-else"}, "aud"),
        ({"iss": "http://127.0.0.1:1/evil"}, "iss"),
    ],
)
def test_bad_claims_signed_by_the_provider_key(auth_url, oidc, change, reason):
    token = forge.signed(oidc.key, forge.claims(oidc.issuer, oidc.audience) | change)
    assert_invalid(get(f"{auth_url}/jobs", token), reason)


def test_forged_signature(auth_url, oidc):
    payload = forge.claims(oidc.issuer, oidc.audience)
    assert_invalid(
        get(f"{auth_url}/jobs", forge.signed(forge.other_key(oidc.key.kid), payload)), "signature"
    )


def test_alg_none(auth_url, oidc):
    payload = forge.claims(oidc.issuer, oidc.audience)
    assert_invalid(get(f"{auth_url}/jobs", forge.unsigned(payload, oidc.key.kid)), "none")


def test_hmac_with_the_public_key(auth_url, oidc):
    payload = forge.claims(oidc.issuer, oidc.audience)
    assert_invalid(get(f"{auth_url}/jobs", forge.hmac_with_public_key(oidc.key, payload)), "HS256")


def test_unknown_kid(auth_url, oidc):
    payload = forge.claims(oidc.issuer, oidc.audience)
    assert_invalid(
        get(f"{auth_url}/jobs", forge.signed(forge.other_key("rotated"), payload)), "refused"
    )


def test_garbage(auth_url):
    assert_invalid(get(f"{auth_url}/jobs", "not.a.jwt"), "malformed")


def test_forged_token_with_the_provider_key_is_accepted(auth_url, oidc):
    """The control for the cases above: only the claim changed there."""
    token = forge.signed(oidc.key, forge.claims(oidc.issuer, oidc.audience, sub="forge-ok"))
    assert get(f"{auth_url}/jobs", token).status_code == 200


def test_opaque_token_by_introspection_then_revoked(auth_url, oidc):
    token = oidc.token("opaque", fresh=True)
    assert token.count(".") == 0
    assert get(f"{auth_url}/jobs", token).status_code == 200
    revoked = requests.post(
        f"{oidc.issuer}/token/revocation",
        auth=("opaque", "opaque-secret"),
        data={"token": token},
        timeout=10,
    )
    assert revoked.status_code == 200
    time.sleep(1.5)  # the introspection cache (introspection_ttl=1 s in the tests)
    assert_invalid(get(f"{auth_url}/jobs", token), "not active")


def test_unknown_opaque_token(auth_url):
    assert_invalid(get(f"{auth_url}/jobs", "x" * 43), "not active")


def test_public_pages_ignore_tokens(auth_url):
    for path in ("/", "/conformance", "/openapi?f=json"):
        assert get(f"{auth_url}{path}", "garbage").status_code == 200, path


def test_bad_token_on_a_public_read_is_still_refused(auth_url):
    assert_invalid(get(f"{auth_url}/collections", "garbage.garbage.garbage"), "malformed")
