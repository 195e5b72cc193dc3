"""Tokens no honest provider issues, built with joserfc (and by hand for ``alg: none``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey


def claims(issuer: str, audience: str, sub: str = "user-a", **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "client_id": sub,
        "roles": [],
    } | extra


def signed(key: RSAKey, payload: dict[str, Any], kid: str | None = None, alg: str = "RS256") -> str:
    header = {"alg": alg, "typ": "at+jwt", "kid": kid or key.kid}
    return jwt.encode(header, payload, key, algorithms=[alg])


def other_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}, private=True)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _part(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def unsigned(payload: dict[str, Any], kid: str = "test-key-1") -> str:
    """``alg: none``: joserfc refuses to make one, which is the point; built by hand."""
    return f"{_part({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_part(payload)}."


def hmac_with_public_key(key: RSAKey, payload: dict[str, Any]) -> str:
    """The classic confusion attack: HS256 keyed with the provider's public key (joserfc
    refuses that key as an HMAC secret, so by hand)."""
    signing_input = f"{_part({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{_part(payload)}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{_b64(mac.digest())}"
