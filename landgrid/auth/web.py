"""The one Flask hook that authenticates and authorizes every request.

Registered by ``create_app`` before any blueprint answers; it sets ``g.identity`` (the
token's ``sub``, or ``anonymous``), ``g.is_admin``, ``g.roles`` and ``g.scopes``, and stops
the request with 401/403 when the policy says so. Endpoints never look at tokens.
"""

from __future__ import annotations

import json
import logging
import re

from flask import Flask, Response, g, request

from landgrid.auth.authenticator import Authenticator
from landgrid.auth.login import install_login, session_principal
from landgrid.auth.mode import OPEN_WARNING
from landgrid.auth.owners import CollectionOwners
from landgrid.auth.policy import Action, Decision, Policy
from landgrid.auth.principal import AuthUnavailable, InvalidToken, Principal
from landgrid.auth.routes import classify
from landgrid.errors import Forbidden, NotFound, Unauthorized, Unavailable
from landgrid.http import exception_response
from landgrid.settings import Settings

LOGGER = logging.getLogger(__name__)
REALM = "landgrid"


def install_auth(app: Flask, settings: Settings) -> None:
    policy = Policy.load(settings.auth_policy)
    if settings.auth_mode == "open":
        LOGGER.warning(OPEN_WARNING)
        app.before_request(_open_identity)
        return
    authenticator = Authenticator(settings)
    owners = CollectionOwners(settings)
    app.config["LANDGRID_AUTHENTICATOR"] = authenticator
    login = bool(settings.oidc_client_id and settings.oidc_client_secret)
    if login:
        install_login(app, settings)

    @app.before_request
    def authorize() -> Response | None:
        action = classify(request.method, request.path, request.mimetype == "application/geo+json")
        _set_identity(None, policy)
        if action.group == "landing":  # never evaluates tokens: always answers
            return None
        try:
            principal = authenticator.authenticate(request.headers.get("Authorization"))
        except InvalidToken as exc:
            return unauthorized(exc.description)
        except AuthUnavailable as exc:
            LOGGER.error("auth: %s", exc)
            return exception_response(Unavailable("the identity provider is unreachable"))
        if principal is None and login:
            principal = session_principal(authenticator)
        _set_identity(principal, policy)
        decision = policy.decide(principal, action)
        if action.right in ("read", "edit") and not owners.visible(action.resource):
            # a job's published collection: others get 404 (its existence is not revealed)
            return exception_response(NotFound(f"no collection {action.resource!r}"))
        if decision is Decision.UNAUTHENTICATED:
            return unauthorized(None)
        if decision is Decision.FORBIDDEN:
            header = f'Bearer realm="{REALM}", error="insufficient_scope"'
            return exception_response(
                Forbidden(f"{action.group}: your token lacks the right to do this"),
                {"WWW-Authenticate": header},
            )
        return None

    @app.after_request
    def hide_unreadable(response: Response) -> Response:
        """``/collections`` lists only what the caller may read (JSON; the HTML page is
        pygeoapi's and still lists every title, but its links answer 401/403)."""
        if request.method == "GET" and request.path.rstrip("/") == "/collections":
            return filter_collections(response, policy, g.get("principal"), owners)
        return response


def filter_collections(
    response: Response, policy: Policy, principal: Principal | None, owners: CollectionOwners
) -> Response:
    if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
        return response
    try:  # pygeoapi's responses carry no mimetype that get_json() would accept
        body = json.loads(response.get_data())
    except ValueError:
        return response
    if not isinstance(body, dict) or not isinstance(body.get("collections"), list):
        return response
    listed = body["collections"]
    body["collections"] = [
        c
        for c in listed
        if policy.decide(principal, Action("collections", "read", str(c.get("id"))))
        is Decision.ALLOW
        and owners.visible(str(c.get("id")))
    ]
    if len(body["collections"]) != len(listed):
        response.set_data(json.dumps(body))
    return response


def unauthorized(description: str | None) -> Response:
    """RFC 6750 §3: no error code when no token was sent, ``invalid_token`` otherwise."""
    header = f'Bearer realm="{REALM}"'
    if description is None:
        message = "authentication required: send an OAuth2 bearer token"
    else:
        safe = re.sub(r'[^\x20-\x7e]|["\\]', "", description)
        header += f', error="invalid_token", error_description="{safe}"'
        message = f"invalid token: {description}"
    return exception_response(Unauthorized(message), {"WWW-Authenticate": header})


def _open_identity() -> None:
    """Open mode: everyone is the local admin 'anonymous' (the startup output says so)."""
    g.identity, g.is_admin, g.roles, g.scopes = "anonymous", True, frozenset(), frozenset()


def _set_identity(principal: Principal | None, policy: Policy) -> None:
    g.principal = principal
    g.identity = principal.sub if principal else "anonymous"
    g.is_admin = policy.is_admin(principal)
    g.roles = principal.roles if principal else frozenset()
    g.scopes = principal.scopes if principal else frozenset()
