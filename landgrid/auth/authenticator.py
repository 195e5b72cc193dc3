"""From an ``Authorization`` header to a ``Principal``: JWTs locally, opaque tokens by
introspection. Built once per web worker from the settings."""

from __future__ import annotations

from landgrid.auth.introspection import Introspector
from landgrid.auth.jwt import JwtValidator
from landgrid.auth.principal import InvalidToken, Principal, principal_from_claims
from landgrid.auth.provider import OpenIdProvider
from landgrid.settings import Settings


class Authenticator:
    def __init__(self, settings: Settings, provider: OpenIdProvider | None = None) -> None:
        if not (settings.oidc_issuer and settings.oidc_audience):
            raise ValueError("oidc mode needs LANDGRID_OIDC_ISSUER and LANDGRID_OIDC_AUDIENCE")
        self.settings = settings
        self.audience = settings.oidc_audience
        self.provider = provider or OpenIdProvider(settings.oidc_issuer, settings.jwks_ttl)
        algorithms = [a.strip() for a in settings.oidc_algorithms.split(",") if a.strip()]
        self.jwt = JwtValidator(self.provider, self.audience, algorithms, settings.oidc_leeway)
        self._introspector: Introspector | None = None

    def authenticate(self, authorization: str | None) -> Principal | None:
        """``None`` without a bearer token; ``InvalidToken`` for a bad one."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        token = token.strip()
        if not token:
            raise InvalidToken("empty bearer token")
        if token.count(".") == 2:
            claims = self.jwt.validate(token)
        else:
            claims = self.introspector().validate(token)
        return principal_from_claims(claims, self.audience, self.provider.issuer)

    def introspector(self) -> Introspector:
        if self._introspector is None:
            s = self.settings
            endpoint = self.provider.metadata.get("introspection_endpoint")
            if not (endpoint and s.oidc_client_id and s.oidc_client_secret):
                raise InvalidToken("opaque tokens are not accepted here (no introspection)")
            self._introspector = Introspector(
                endpoint,
                s.oidc_client_id,
                s.oidc_client_secret,
                self.provider.issuer,
                self.audience,
                s.introspection_ttl,
            )
        return self._introspector
