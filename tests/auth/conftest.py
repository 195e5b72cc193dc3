"""A real OpenID provider (npm ``oidc-provider``, installed here on first use) and a second
web app in ``oidc`` mode beside the session stack: same database, Prefect and worker, its
own port, so the auth tests cost one gunicorn start, not a second stack.

The provider signs with a key this fixture generates, so tests can also forge tokens with
the provider's own key (expired, not yet valid, wrong audience or issuer).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from landgrid.settings import Settings
from tests.auth.provider import OidcProvider, ProviderError, running_provider

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def oidc(stack_dir: Path, new_port) -> Iterator[OidcProvider]:
    try:
        with running_provider(stack_dir, new_port()) as provider:
            yield provider
    except ProviderError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def auth_settings(settings: Settings, oidc: OidcProvider, new_port) -> Settings:
    port = new_port()
    return settings.model_copy(update={
        "port": port, "public_url": f"http://127.0.0.1:{port}", "auth_mode": "oidc",
        "oidc_issuer": oidc.issuer, "oidc_audience": oidc.audience,
        "oidc_client_id": "landgrid-api", "oidc_client_secret": "landgrid-api-secret",
        "introspection_ttl": 1.0, "auth_policy": HERE / "policy.yml", "web_workers": 1,
    })


@pytest.fixture(scope="session")
def auth_url(stack, auth_settings: Settings) -> Iterator[str]:
    """The web app in oidc mode, on the session stack's services."""
    from landgrid.stack import Stack

    web = Stack(auth_settings, lambda _: None)
    try:
        web.start_web()
        web.wait_web()
        yield auth_settings.url
    finally:
        web.stop()
