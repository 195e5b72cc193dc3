"""Security schemes in the OpenAPI document, derived from the policy (``oidc`` mode).

Applied to the assembled document, so fragments declare no security: ``openIdConnect``
(discovery URL) and ``bearer`` (JWT) schemes, and for each operation the policy would
protect, its ``security`` requirement and 401/403 answers. Public operations declare none,
so clients do not ask users to log in for them.
"""

from __future__ import annotations

from typing import Any

from landgrid.auth.actions import classify
from landgrid.auth.policy import PUBLIC, Policy
from landgrid.settings import Settings

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SECURITY = [{"bearer": []}, {"openIdConnect": []}]


def add_security(document: dict[str, Any], settings: Settings, policy: Policy) -> dict[str, Any]:
    issuer = (settings.oidc_issuer or "").rstrip("/")
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(
        {
            "openIdConnect": {
                "type": "openIdConnect",
                "openIdConnectUrl": f"{issuer}/.well-known/openid-configuration",
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": f"access token for audience {settings.oidc_audience}",
            },
        }
    )
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            geojson = method == "post" and "application/geo+json" in (
                operation.get("requestBody", {}).get("content", {})
            )
            rule = policy.rule(classify(method.upper(), path, geojson))
            if rule == PUBLIC:
                continue
            operation["security"] = SECURITY
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", {"description": "missing or invalid bearer token"})
            if rule != "authenticated":
                responses.setdefault(
                    "403",
                    {
                        "description": "the token lacks the right "
                        f"(needs one of {sorted(rule)} or admin)"
                    },
                )
    return document
