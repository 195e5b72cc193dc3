"""Local validation of JWT access tokens: no network call per request.

joserfc (Authlib's JOSE implementation, which ``authlib.jose`` now defers to) verifies
the signature with an explicit allow-list of asymmetric algorithms; ``none`` and HS* are
refused before any key is looked at, so a public key can never be used as an HMAC secret.
"""

from __future__ import annotations

from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)

from landgrid.auth.principal import InvalidToken
from landgrid.auth.provider import OpenIdProvider

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class JwtValidator:
    """Checks signature, ``iss``, ``aud``, ``exp`` and ``nbf`` (with a small leeway)."""

    def __init__(
        self, provider: OpenIdProvider, audience: str, algorithms: list[str], leeway: int = 30
    ) -> None:
        refused = set(algorithms) - ASYMMETRIC
        if refused:
            raise ValueError(f"refused JWT algorithms (not asymmetric): {sorted(refused)}")
        self.provider = provider
        self.audience = audience
        self.algorithms = list(algorithms)
        self.claims = jwt.JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )

    def validate(self, token: str) -> dict[str, Any]:
        """The token's claims; ``InvalidToken`` with a safe reason otherwise."""
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError, UnicodeError) as exc:
            raise InvalidToken("malformed token") from exc
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise InvalidToken(f"algorithm {alg!r} is not accepted")
        if "crit" in header or "jku" in header or "x5u" in header:
            raise InvalidToken("token headers that point elsewhere are not accepted")
        keys = self.provider.keys(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=self.algorithms)
            self.claims.validate(decoded.claims)
        except ExpiredTokenError as exc:
            raise InvalidToken("the token has expired") from exc
        except (InvalidClaimError, MissingClaimError) as exc:
            if getattr(exc, "claim", None) == "nbf":
                raise InvalidToken("the token is not valid yet") from exc
            raise InvalidToken(f"claim check failed: {exc.description}") from exc
        except BadSignatureError as exc:
            raise InvalidToken("bad signature") from exc
        except (JoseError, ValueError) as exc:
            raise InvalidToken(f"token refused: {getattr(exc, 'description', exc)}") from exc
        return decoded.claims
