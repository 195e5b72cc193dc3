"""The one Flask hook that authenticates and authorizes every request.

Registered by ``create_app`` before any blueprint answers; it sets ``g.caller`` (who is
calling: the token's identity, ``oidc:`` + a hash of issuer and ``sub``; ``oidc:anonymous``
without a token; ``anonymous``, the local admin, in ``open`` mode; roles, admin) and
stops the request with 401/403 when the policy says so, or 404 for a collection the caller
may not know of; a method the resource does not have is everyone's 405.
Endpoints never look at tokens: they ask ``caller()`` and ``CollectionAccess``.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, g, request
from werkzeug.exceptions import MethodNotAllowed

from landgrid.auth.access import Caller, CollectionAccess
from landgrid.auth.actions import classify
from landgrid.auth.authenticator import Authenticator
from landgrid.auth.mode import OPEN_WARNING
from landgrid.auth.policy import Action, Decision, Policy
from landgrid.auth.principal import AuthUnavailable, InvalidToken, Principal
from landgrid.catalogue.entry import CATALOGUE
from landgrid.errors import Forbidden, NotFound, Unauthorized, Unavailable
from landgrid.settings import Settings
from landgrid.web.http import exception_response
from landgrid.web.login import install_login, session_principal

LOGGER = logging.getLogger(__name__)
REALM = "landgrid"
OPEN_CALLER = Caller("anonymous", None, is_admin=True)
NO_TOKEN = Caller("oidc:anonymous")  # distinct from open mode's user and from every token


def caller() -> Caller:
    """Who this request is (set by the auth hook; nobody outside a request's hook)."""
    return g.get("caller") or NO_TOKEN


def install_auth(app: Flask, settings: Settings, policy: Policy, access: CollectionAccess) -> None:
    if settings.auth_mode == "open":
        LOGGER.warning(OPEN_WARNING)

        @app.before_request
        def open_identity() -> None:
            """Open mode: everyone is the local admin (the startup output says so)."""
            g.caller = OPEN_CALLER

        return
    authenticator = Authenticator(settings)
    app.config["LANDGRID_AUTHENTICATOR"] = authenticator
    login = bool(settings.oidc_client_id and settings.oidc_client_secret)
    if login:
        install_login(app, settings)

    @app.before_request
    def authorize() -> Response | None:
        action = classify(request.method, request.path, request.mimetype == "application/geo+json")
        g.caller = NO_TOKEN
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
        g.caller = caller_of(principal, policy)
        decision = policy.decide(principal, action)
        owned_elsewhere = action.resource is not None and not access.exists_for(
            g.caller, action.resource
        )
        if action.right in ("read", "edit") and owned_elsewhere:
            # a job's published collection: others get 404 (its existence is not revealed)
            return exception_response(NotFound(f"no collection {action.resource!r}"))
        if not_a_method_of_the_resource(access, action):
            return None  # the 405 (with Allow) is everyone's: no right is needed to hear it
        if decision is Decision.UNAUTHENTICATED:
            return unauthorized(None)
        if decision is Decision.FORBIDDEN:
            header = f'Bearer realm="{REALM}", error="insufficient_scope"'
            return exception_response(
                Forbidden(f"{action.group}: your token lacks the right to do this"),
                {"WWW-Authenticate": header},
            )
        return None


def not_a_method_of_the_resource(access: CollectionAccess, action: Action) -> bool:
    """A method no route has for the path, or a write to a read-only collection."""
    if isinstance(request.routing_exception, MethodNotAllowed):
        return True
    if action.group != "transactions" or action.resource is None:
        return False
    if action.resource == CATALOGUE:  # the records: read only
        return True
    product = access.catalog.vector(action.resource)
    return product is not None and not product.editable


def caller_of(principal: Principal | None, policy: Policy) -> Caller:
    if principal is None:
        return NO_TOKEN
    return Caller(principal.identity, principal, policy.is_admin(principal))


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
