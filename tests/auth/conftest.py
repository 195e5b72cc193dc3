"""A real OpenID provider (npm ``oidc-provider``, installed here on first use) and a second
web app in ``oidc`` mode beside the session stack: same database, Prefect and worker, its
own port, so the auth tests cost one gunicorn start, not a second stack.

The provider signs with a key this fixture generates, so tests can also forge tokens with
the provider's own key (expired, not yet valid, wrong audience or issuer).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from joserfc.jwk import RSAKey

from landgrid.settings import Settings

HERE = Path(__file__).resolve().parent
OIDC_DIR = HERE / "oidc"
AUDIENCE = "urn:landgrid:test-api"
IDENTITIES = ("user-a", "user-b", "operator", "admin")


@dataclass
class OidcProvider:
    issuer: str
    audience: str
    key: RSAKey  # the provider's own signing key (private)
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, client: str, fresh: bool = False) -> str:
        """An access token by client_credentials (sub = client id), cached per client."""
        if fresh or client not in self.tokens:
            r = requests.post(f"{self.issuer}/token", auth=(client, f"{client}-secret"),
                              data={"grant_type": "client_credentials",
                                    "resource": self.audience}, timeout=10)
            r.raise_for_status()
            self.tokens[client] = r.json()["access_token"]
        return self.tokens[client]

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who in (None, "anonymous") else {
            "Authorization": f"Bearer {self.token(who)}"}


def npm_install() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail("the auth tests need Node.js 20+ and npm (apt-get install nodejs npm): "
                    "they run a real OpenID provider (npm oidc-provider)")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR,
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"npm ci in {OIDC_DIR} failed: {result.stderr.strip()[-500:]}")


@pytest.fixture(scope="session")
def oidc(stack_dir: Path, new_port) -> Iterator[OidcProvider]:
    npm_install()
    port = new_port()
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig",
                                                "alg": "RS256"}, private=True)
    jwks_file = stack_dir / "oidc-jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    log = (stack_dir / "oidc-provider.log").open("wb")
    child = subprocess.Popen(
        ["node", "provider.js"], cwd=OIDC_DIR, stdout=log, stderr=subprocess.STDOUT,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PORT": str(port), "AUDIENCE": AUDIENCE,
             "JWKS_FILE": str(jwks_file), "APP_URL": "http://127.0.0.1"})
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if child.poll() is not None:
                pytest.fail(f"oidc-provider exited: see {stack_dir / 'oidc-provider.log'}")
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("oidc-provider did not answer in 30 s")
            time.sleep(0.2)
        yield OidcProvider(issuer, AUDIENCE, key)
    finally:
        child.terminate()
        child.wait(10)


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
