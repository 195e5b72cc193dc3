"""The OpenID provider as the resource server needs it: discovery and a cached JWKS.

Fetched lazily (a web worker starting while the provider is down still serves public
pages), cached for ``jwks_ttl``, and refreshed once when a token names an unknown ``kid``
(key rotation), at most every ``REFRESH_GAP`` seconds so that forged ``kid``s cannot make
every request call the provider.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from landgrid.auth.principal import AuthUnavailable

REFRESH_GAP = 30.0
Fetch = Callable[[str], dict[str, Any]]


def http_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=5)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise AuthUnavailable(f"OpenID provider unreachable: {url}: {exc}") from exc


class OpenIdProvider:
    """Discovery document and signing keys of one issuer."""

    def __init__(
        self,
        issuer: str,
        jwks_ttl: float = 3600,
        fetch: Fetch = http_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.jwks_ttl = jwks_ttl
        self.fetch = fetch
        self.clock = clock
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            metadata = self.fetch(f"{self.issuer}/.well-known/openid-configuration")
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                raise AuthUnavailable(f"discovery of {self.issuer} names another issuer")
            self._metadata = metadata
        return self._metadata

    def keys(self, kid: str | None) -> KeySet:
        """The key set, refreshed when stale or (once per gap) when ``kid`` is unknown."""
        with self._lock:
            age = self.clock() - self._fetched_at
            unknown = self._keys is None or (kid is not None and not _has(self._keys, kid))
            if age > self.jwks_ttl or (unknown and age > REFRESH_GAP):
                self._refresh()
            assert self._keys is not None
            return self._keys

    def _refresh(self) -> None:
        jwks = self.fetch(self.metadata["jwks_uri"])
        try:
            self._keys = KeySet.import_key_set(
                {"keys": [k for k in jwks.get("keys", []) if k.get("use", "sig") == "sig"]}
            )
        except (JoseError, ValueError, TypeError) as exc:
            raise AuthUnavailable(f"unusable JWKS from {self.issuer}: {exc}") from exc
        self._fetched_at = self.clock()


def _has(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
