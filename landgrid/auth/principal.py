"""Who is calling, as the rest of the server sees it, and why a token was refused.

A token's caller is known by ``identity(issuer, sub)``: ``oidc:`` and a SHA-256 of both,
so owners from different issuers never collide, a ``sub`` of any length or content fits
the job table, and no token is ever ``anonymous`` (``open`` mode's local user).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from landgrid.errors import LandgridError


class InvalidToken(LandgridError):
    """A presented token is not acceptable; answered 401 ``error="invalid_token"``."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class AuthUnavailable(LandgridError):
    """The provider cannot be reached to check a token (discovery, JWKS, introspection)."""


def identity(issuer: str, sub: str) -> str:
    """The owner of what a token's caller makes: stable, fixed-length, never a raw ``sub``;
    the issuer's length comes first, so no (issuer, sub) pair reads as another."""
    issuer = issuer.rstrip("/")
    text = f"{len(issuer)}:{issuer}\n{sub}".encode("utf-8", "surrogatepass")
    return "oidc:" + hashlib.sha256(text).hexdigest()


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ``identity`` owns jobs; roles and scopes feed the policy."""

    sub: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None
    issuer: str | None = None

    @property
    def identity(self) -> str:
        return identity(self.issuer, self.sub) if self.issuer is not None else self.sub

    @property
    def grants(self) -> frozenset[str]:
        """Roles and scopes together: a policy entry may name either."""
        return self.roles | self.scopes


def principal_from_claims(
    claims: dict[str, Any], audience: str | None = None, issuer: str | None = None
) -> Principal:
    """The caller of validated claims from ``issuer``. Roles from ``roles`` (oidc-provider,
    Entra ID), ``realm_access.roles`` and ``resource_access.<audience>.roles`` (Keycloak);
    scopes from ``scope``/``scp``."""
    sub = claims.get("sub") or claims.get("client_id")
    if not sub or not isinstance(sub, str):
        raise InvalidToken("the token names no subject")
    roles = set(_strings(claims.get("roles")))
    roles |= set(_strings((claims.get("realm_access") or {}).get("roles")))
    resource_access = claims.get("resource_access") or {}
    for client in {audience, claims.get("azp"), claims.get("client_id")} - {None}:
        roles |= set(_strings((resource_access.get(client) or {}).get("roles")))
    scope = claims.get("scope") or claims.get("scp") or ""
    scopes = scope.split() if isinstance(scope, str) else _strings(scope)
    client_id = claims.get("client_id")
    client = client_id if isinstance(client_id, str) else None
    return Principal(sub, frozenset(roles), frozenset(scopes), client, issuer)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
