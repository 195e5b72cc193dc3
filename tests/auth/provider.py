"""Run the test OpenID provider (npm ``oidc-provider``, ``oidc/provider.js``) and get tokens
from it; used by the auth fixtures and by ``bench/auth.py``."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from joserfc.jwk import RSAKey

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
AUDIENCE = "urn:landgrid:test-api"


class ProviderError(RuntimeError):
    """The provider cannot be installed or started; the message says what to do."""


@dataclass
class OidcProvider:
    issuer: str
    audience: str
    key: RSAKey  # the provider's own signing key (private): tests forge tokens with it
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, client: str, fresh: bool = False) -> str:
        """An access token by client_credentials (sub = client id), cached per client."""
        if fresh or client not in self.tokens:
            r = requests.post(
                f"{self.issuer}/token",
                auth=(client, f"{client}-secret"),
                data={"grant_type": "client_credentials", "resource": self.audience},
                timeout=10,
            )
            r.raise_for_status()
            self.tokens[client] = r.json()["access_token"]
        return self.tokens[client]

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who in (None, "anonymous") else {"Authorization": f"Bearer {self.token(who)}"}


def npm_install() -> None:
    """``npm ci`` on first use: ``make test`` on a fresh machine needs nothing else."""
    if (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise ProviderError(
            "the auth tests need Node.js 20+ and npm (Debian: apt-get install "
            "nodejs npm): they run a real OpenID provider (npm oidc-provider)"
        )
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise ProviderError(f"npm ci in {OIDC_DIR} failed: {result.stderr.strip()[-500:]}")


@contextmanager
def running_provider(
    workdir: Path, port: int, app_url: str = "http://127.0.0.1"
) -> Iterator[OidcProvider]:
    npm_install()
    key = RSAKey.generate_key(
        2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"}, private=True
    )
    jwks_file = workdir / "oidc-jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    log_path = workdir / "oidc-provider.log"
    node = shutil.which("node") or "node"
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [node, "provider.js"],
            cwd=OIDC_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={
                "PORT": str(port),
                "AUDIENCE": AUDIENCE,
                "JWKS_FILE": str(jwks_file),
                "APP_URL": app_url,
            },
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait(child, f"{issuer}/.well-known/openid-configuration", log_path)
        yield OidcProvider(issuer, AUDIENCE, key)
    finally:
        child.terminate()
        child.wait(10)


def _wait(child: subprocess.Popen, url: str, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ProviderError(f"oidc-provider exited: see {log_path}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise ProviderError(f"oidc-provider did not answer in {timeout:.0f} s (see {log_path})")
