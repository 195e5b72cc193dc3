"""Who is calling, as the rest of the server sees it, and why a token was refused."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ``sub`` owns jobs; roles and scopes feed the policy."""

    sub: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None

    @property
    def grants(self) -> frozenset[str]:
        """Roles and scopes together: a policy entry may name either."""
        return self.roles | self.scopes


def principal_from_claims(claims: dict[str, Any], audience: str | None = None) -> Principal:
    """Roles from ``roles`` (oidc-provider, Entra ID), ``realm_access.roles`` and
    ``resource_access.<audience>.roles`` (Keycloak); scopes from ``scope``/``scp``."""
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
    return Principal(sub, frozenset(roles), frozenset(scopes), claims.get("client_id"))


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
