"""What the configured auth mode means at startup: refuse, or say it loudly."""

from __future__ import annotations

from landgrid.errors import StackError
from landgrid.settings import Settings

OPEN_WARNING = (
    "AUTH IS OFF (LANDGRID_AUTH_MODE=open): every request is the local admin 'anonymous' "
    "- it may run every process and see every job. Development only; set "
    "LANDGRID_AUTH_MODE=oidc with LANDGRID_OIDC_ISSUER and LANDGRID_OIDC_AUDIENCE to "
    "require tokens."
)


def check_auth_settings(settings: Settings) -> None:
    """Production must name its provider; oidc mode must be complete; the policy must
    parse (a typo there would otherwise show as 500s on the first request)."""
    from landgrid.auth.policy import Policy

    missing = [
        name
        for name, value in (
            ("LANDGRID_OIDC_ISSUER", settings.oidc_issuer),
            ("LANDGRID_OIDC_AUDIENCE", settings.oidc_audience),
        )
        if not value
    ]
    if settings.env == "production" and (settings.auth_mode != "oidc" or missing):
        need = ", ".join(["LANDGRID_AUTH_MODE=oidc", *missing])
        raise StackError(f"LANDGRID_ENV=production refuses to start without auth: set {need}")
    if settings.auth_mode == "oidc" and missing:
        raise StackError(f"LANDGRID_AUTH_MODE=oidc needs {' and '.join(missing)}")
    if settings.env == "production" and not settings.secret_key:
        raise StackError("LANDGRID_ENV=production needs LANDGRID_SECRET_KEY (session cookies)")
    Policy.load(settings.auth_policy)


def auth_summary(settings: Settings) -> tuple[str, bool]:
    """(one line for the startup output, whether it is a warning)."""
    if settings.auth_mode == "open":
        return OPEN_WARNING, True
    return (
        f"auth: OpenID Connect tokens from {settings.oidc_issuer} for audience "
        f"{settings.oidc_audience}; policy {settings.auth_policy}",
        False,
    )
