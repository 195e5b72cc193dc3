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

from landgrid.db import engine
from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.settings import Settings
from tests.auth.provider import OidcProvider, ProviderError, running_provider

HERE = Path(__file__).resolve().parent
EDITABLE = "auth-edit-points"


@pytest.fixture(scope="session")
def auth_port(new_port) -> int:
    """The oidc-mode app's port: the provider needs its redirect URI before it starts."""
    return new_port()


@pytest.fixture(scope="session")
def oidc(stack_dir: Path, new_port, auth_port: int) -> Iterator[OidcProvider]:
    try:
        with running_provider(stack_dir, new_port(), f"http://127.0.0.1:{auth_port}") as provider:
            yield provider
    except ProviderError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def auth_settings(settings: Settings, oidc: OidcProvider, auth_port: int) -> Settings:
    port = auth_port
    return settings.model_copy(
        update={
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "auth_mode": "oidc",
            "oidc_issuer": oidc.issuer,
            "oidc_audience": oidc.audience,
            "oidc_client_id": "landgrid-web",
            "oidc_client_secret": "landgrid-web-secret",
            "introspection_ttl": 1.0,
            "auth_policy": HERE / "policy.yml",
            "web_workers": 1,
        }
    )


@pytest.fixture(scope="session")
def editable(settings: Settings, database: str) -> str:
    """An editable point collection (Part 4) for the editor role: its id."""
    with engine(database).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS auth_edit_points (id bigint GENERATED ALWAYS AS "
            "IDENTITY PRIMARY KEY, code integer, geom geometry(Point, 4326) NOT NULL)"
        )
    product = VectorProduct(
        id=EDITABLE,
        title="Editable points",
        table="auth_edit_points",
        editable=True,
    )
    write_vector_product(product, settings.data_dir / "vector-products")
    return EDITABLE


@pytest.fixture(scope="session")
def auth_url(stack, auth_settings: Settings, editable: str) -> Iterator[str]:
    """The web app in oidc mode, on the session stack's services."""
    from landgrid.ops.stack import Stack

    web = Stack(auth_settings, lambda _: None)
    try:
        web.start_web()
        web.wait_web()
        yield auth_settings.url
    finally:
        web.stop()
