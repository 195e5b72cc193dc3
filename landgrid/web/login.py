"""Browser login for the HTML pages, with flask-oidc (authorization code flow).

``/login`` and ``/authorize`` are flask-oidc's; ``/logout`` is ours because flask-oidc's
only forgets the cookie: ours also ends the provider session (RP-initiated logout), or
the next ``/login`` would silently log the same user in again. The session cookie is
signed, not encrypted, and holds the tokens: ``HttpOnly``, ``SameSite=Lax`` (the provider's
redirect back is a top-level GET), ``Secure`` on https. A session authenticates safe
methods (GET/HEAD) by itself; a request that changes state (run a process, dismiss a job)
also needs the session's CSRF token (``landgrid.web.csrf``), so a cross-site form cannot
use a user's cookie. Either way the session acts as its user, the access token's ``sub``.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Flask, Response, redirect, request, session
from flask_oidc import OpenIDConnect

from landgrid.auth.authenticator import Authenticator
from landgrid.auth.principal import AuthUnavailable, InvalidToken, Principal
from landgrid.errors import Forbidden
from landgrid.settings import Settings
from landgrid.web import csrf

SAFE = ("GET", "HEAD")


def install_login(app: Flask, settings: Settings) -> None:
    """Before the auth hook: flask-oidc's own hook refreshes an expiring session first."""
    app.config.update(
        SECRET_KEY=session_secret(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.url.startswith("https://") or settings.env == "production",
        OIDC_CLIENT_SECRETS={
            "web": {
                "client_id": settings.oidc_client_id,
                "client_secret": settings.oidc_client_secret,
                "issuer": settings.oidc_issuer,
            }
        },
        OIDC_SCOPES="openid",
        OIDC_USER_INFO_ENABLED=False,  # identity comes from the access token, as for APIs
        OIDC_OVERWRITE_REDIRECT_URI=f"{settings.url}/authorize",
    )

    @app.get("/logout")
    def logout() -> Response:
        token = session.pop("oidc_auth_token", None) or {}
        session.clear()
        oidc = app.extensions["landgrid_oidc"]
        end_session = oidc.oauth.oidc.load_server_metadata().get("end_session_endpoint")
        if not end_session:
            return redirect(f"{settings.url}/")
        query = {
            "post_logout_redirect_uri": f"{settings.url}/",
            "client_id": settings.oidc_client_id,
        }
        if token.get("id_token"):
            query["id_token_hint"] = token["id_token"]
        return redirect(f"{end_session}?{urlencode(query)}")

    app.extensions["landgrid_oidc"] = OpenIDConnect(app)


def session_principal(authenticator: Authenticator) -> Principal | None:
    """The logged-in browser user; its access token is checked like any bearer token (an
    expired one was refreshed by flask-oidc's hook). A request that changes state without
    the session's CSRF token is refused (403), whoever sent it."""
    token = (session.get(csrf.TOKEN_KEY) or {}).get("access_token")
    if not token:
        return None
    if request.method not in SAFE and not csrf.request_has_token():
        raise Forbidden(
            f"a browser session changes state only from this server's pages (header "
            f"{csrf.HEADER} missing or wrong); scripts send a bearer token instead"
        )
    try:
        return authenticator.authenticate(f"Bearer {token}")
    except (InvalidToken, AuthUnavailable):
        return None


def session_secret(settings: Settings) -> str:
    """``LANDGRID_SECRET_KEY``, else one kept in the data folder, shared by the workers."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()
