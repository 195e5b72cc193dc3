"""The oidc-mode app and its OpenID provider, shared with ``tests/auth``."""

from tests.auth.conftest import auth_port, auth_settings, auth_url, editable, oidc  # noqa: F401
