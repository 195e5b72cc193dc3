"""Cross-site request protection of the browser session (``oidc`` mode with login).

A logged-in browser may run processes and dismiss jobs with its session cookie, but only
with the token its own pages carry (``<meta name="csrf-token">``), sent back by our scripts
in the ``X-CSRF-Token`` header. Another site can make the browser send the cookie (older
browsers ignore ``SameSite``) but cannot read the token from our pages, nor set a custom
header on a cross-origin request without a CORS preflight we do not grant to it.

The token is random per session, kept in the signed session cookie, and compared in
constant time. Requests with a bearer token do not need it: no browser adds one by itself.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, request, session

HEADER = "X-CSRF-Token"
KEY = "csrf_token"
TOKEN_KEY = "oidc_auth_token"  # where flask-oidc keeps the session's tokens


def login_enabled() -> bool:
    return "landgrid_oidc" in current_app.extensions


def has_session() -> bool:
    """Is a user logged in with this browser (tokens in the session cookie)?"""
    return login_enabled() and bool((session.get(TOKEN_KEY) or {}).get("access_token"))


def session_token() -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(KEY)
    if not token:
        token = session[KEY] = secrets.token_urlsafe(32)
    return token


def request_has_token() -> bool:
    expected = session.get(KEY)
    given = request.headers.get(HEADER, "")
    return bool(expected) and hmac.compare_digest(str(expected), given)
