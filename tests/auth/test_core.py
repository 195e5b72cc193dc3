"""The auth core without services: JWT checks against a JWKS served by a fake fetch,
the policy, and the route classification."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from landgrid.auth.actions import classify
from landgrid.auth.jwt import JwtValidator
from landgrid.auth.policy import Action, Decision, Policy
from landgrid.auth.principal import InvalidToken, Principal, principal_from_claims
from landgrid.auth.provider import OpenIdProvider
from tests.auth import forge

ISSUER, AUDIENCE = "https://id.example.org/realms/landgrid", "landgrid-api"
KEY = forge.other_key("k1")
ROOT = Path(__file__).resolve().parents[2]


class FakeProvider:
    """Discovery + JWKS documents; counts JWKS fetches."""

    def __init__(self) -> None:
        self.keys = [KEY]
        self.jwks_fetches = 0

    def __call__(self, url: str) -> dict:
        if url.endswith("/.well-known/openid-configuration"):
            return {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/certs"}
        self.jwks_fetches += 1
        return {"keys": [k.as_dict(private=False) | {"use": "sig"} for k in self.keys]}


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def validator(fake: FakeProvider) -> JwtValidator:
    return JwtValidator(OpenIdProvider(ISSUER, fetch=fake), AUDIENCE, ["RS256", "ES256"], 30)


def test_valid_token(validator):
    claims = validator.validate(forge.signed(KEY, forge.claims(ISSUER, AUDIENCE)))
    assert claims["sub"] == "user-a"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": -120}, "expired"),  # seconds from now: resolved when the test runs, not
        ({"nbf": 120}, "not valid yet"),  # at collection (the suite may take minutes)
        ({"aud": "someone-else"}, "aud"),
        ({"iss": "https://evil.example.org"}, "iss"),
    ],
)
def test_bad_claims(validator, change, reason):
    change = {k: int(time.time()) + v if k in ("exp", "nbf") else v for k, v in change.items()}
    with pytest.raises(InvalidToken, match=reason):
        validator.validate(forge.signed(KEY, forge.claims(ISSUER, AUDIENCE) | change))


def test_leeway_accepts_small_skew(validator):
    token = forge.signed(KEY, forge.claims(ISSUER, AUDIENCE, exp=int(time.time()) - 5))
    assert validator.validate(token)["sub"] == "user-a"


def test_forged_signatures(validator):
    payload = forge.claims(ISSUER, AUDIENCE)
    with pytest.raises(InvalidToken, match="signature"):
        validator.validate(forge.signed(forge.other_key("k1"), payload))
    with pytest.raises(InvalidToken, match="'none'"):
        validator.validate(forge.unsigned(payload, "k1"))
    with pytest.raises(InvalidToken, match="'HS256'"):
        validator.validate(forge.hmac_with_public_key(KEY, payload))


def test_unknown_kid_refreshes_once(validator, fake):
    payload = forge.claims(ISSUER, AUDIENCE)
    validator.validate(forge.signed(KEY, payload))
    assert fake.jwks_fetches == 1
    rotated = forge.other_key("k2")
    fake.keys.append(rotated)
    validator.provider._fetched_at -= 60  # the refresh gap has passed
    assert validator.validate(forge.signed(rotated, payload))["sub"] == "user-a"
    assert fake.jwks_fetches == 2
    for _ in range(3):  # forged kids within the gap do not hit the provider again
        with pytest.raises(InvalidToken):
            validator.validate(forge.signed(forge.other_key("k9"), payload))
    assert fake.jwks_fetches == 2


def test_symmetric_algorithms_cannot_be_configured(fake):
    with pytest.raises(ValueError, match="HS256"):
        JwtValidator(OpenIdProvider(ISSUER, fetch=fake), AUDIENCE, ["RS256", "HS256"])


def test_keycloak_roles_and_scopes():
    principal = principal_from_claims(
        {
            "sub": "u1",
            "scope": "openid profile",
            "realm_access": {"roles": ["operator"]},
            "resource_access": {AUDIENCE: {"roles": ["editor"]}, "other": {"roles": ["x"]}},
        },
        AUDIENCE,
    )
    assert principal.roles == {"operator", "editor"}
    assert principal.scopes == {"openid", "profile"}


def test_policy_decisions():
    policy = Policy.load(ROOT / "tests" / "auth" / "policy.yml")
    user, operator = Principal("a"), Principal("op", frozenset({"operator"}))
    admin = Principal("ad", frozenset({"admin"}))
    sleep, echo = Action("execution", "execute", "sleep"), Action("execution", "execute", "echo")
    assert policy.decide(None, echo) is Decision.UNAUTHENTICATED
    assert policy.decide(user, echo) is Decision.ALLOW
    assert policy.decide(user, sleep) is Decision.FORBIDDEN
    assert policy.decide(operator, sleep) is Decision.ALLOW
    assert policy.decide(admin, sleep) is Decision.ALLOW
    read = Action("items", "read", "clcplus-backbone-polygons")
    assert policy.decide(None, read) is Decision.ALLOW
    private = Action("items", "read", "private-product")
    assert policy.decide(user, private) is Decision.FORBIDDEN
    assert policy.decide(operator, private) is Decision.ALLOW
    assert policy.is_admin(admin) and not policy.is_admin(operator)


def test_shipped_policy_parses():
    policy = Policy.load(ROOT / "config" / "auth-policy.yml")
    assert policy.rule(Action("execution", "execute", "ingest")) == {"operator"}


@pytest.mark.parametrize(
    ("method", "path", "geojson", "expected"),
    [
        ("GET", "/", False, ("landing", "public", None)),
        ("GET", "/openapi", False, ("landing", "public", None)),
        ("GET", "/collections", False, ("collections", "public", None)),
        ("GET", "/collections/c1", False, ("collections", "read", "c1")),
        ("GET", "/collections/c1/items", False, ("items", "read", "c1")),
        ("POST", "/collections/c1/items", False, ("items", "read", "c1")),  # CQL2 filter
        ("POST", "/collections/c1/items", True, ("transactions", "edit", "c1")),
        ("DELETE", "/collections/c1/items/7", False, ("transactions", "edit", "c1")),
        ("GET", "/collections/c1/coverage", False, ("coverage", "read", "c1")),
        ("GET", "/processes/echo", False, ("processes", "describe", "echo")),
        ("POST", "/processes/echo/execution", False, ("execution", "execute", "echo")),
        ("GET", "/jobs", False, ("jobs", "jobs", None)),
        ("GET", "/jobs/j1/results", False, ("results", "jobs", "j1")),
        ("DELETE", "/jobs/j1", False, ("dismissal", "jobs", "j1")),
        ("PUT", "/TileMatrixSets", False, ("other", "admin", None)),
    ],
)
def test_classify(method, path, geojson, expected):
    action = classify(method, path, geojson)
    assert (action.group, action.right, action.resource) == expected
