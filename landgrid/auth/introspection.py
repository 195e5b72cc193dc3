"""Opaque tokens, by RFC 7662 introspection at the provider, with a short cache.

The cache keeps answers (active or not) for ``ttl`` seconds, keyed by a hash of the token
so that the process holds no usable token; a revoked token is refused at the latest
``ttl`` seconds after its revocation, which is the price of not calling per request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from landgrid.auth.principal import AuthUnavailable, InvalidToken

MAX_ENTRIES = 10_000


class Introspector:
    def __init__(
        self,
        endpoint: str,
        client_id: str,
        client_secret: str,
        issuer: str,
        audience: str,
        ttl: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.auth = (client_id, client_secret)
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def validate(self, token: str) -> dict[str, Any]:
        """The active token's claims, checked like a JWT's; ``InvalidToken`` otherwise."""
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            claims = cached[1]
        else:
            claims = self._ask(token)
            with self._lock:
                if len(self._cache) >= MAX_ENTRIES:
                    self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                self._cache[key] = (now + self.ttl, claims)
        return self._check(claims)

    def _ask(self, token: str) -> dict[str, Any]:
        try:
            response = requests.post(
                self.endpoint,
                data={"token": token, "token_type_hint": "access_token"},
                auth=self.auth,
                timeout=5,
            )
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            raise AuthUnavailable(f"token introspection failed: {exc}") from exc

    def _check(self, claims: dict[str, Any]) -> dict[str, Any]:
        if claims.get("active") is not True:
            raise InvalidToken("the token is not active (unknown, expired or revoked)")
        if claims.get("iss") and str(claims["iss"]).rstrip("/") != self.issuer:
            raise InvalidToken("the token comes from another issuer")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if audience is not None and self.audience not in audiences:
            raise InvalidToken("the token is meant for another audience")
        if isinstance(claims.get("exp"), int | float) and claims["exp"] < time.time():
            raise InvalidToken("the token has expired")
        return claims
