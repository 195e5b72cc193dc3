"""Auth overhead: ``items?limit=10`` of the demo collection, with a bearer JWT vs without.

    .venv/bin/python bench/auth.py                 # ~1 min: stack + provider start
    .venv/bin/python bench/auth.py --repeat 500

Starts what the auth tests start (the embedded stack with the demo data in a throwaway
folder, the test OpenID provider, a second web app in ``oidc`` mode), then times the same
request interleaved three ways over keep-alive connections (median of ``repeat``):

- ``open``: the stack's own web app, auth off (``LANDGRID_AUTH_MODE=open``);
- ``anonymous``: the oidc-mode app without a token (the policy still runs);
- ``jwt``: the oidc-mode app with a provider-issued JWT (local signature and claim checks,
  no call to the provider per request).

and prints the ratios; the goal is jwt/anonymous < 1.1.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack
from landgrid.settings import PROJECT_ROOT, Settings
from tests.auth.provider import running_provider

PATH = "/collections/clcplus-backbone-polygons/items?limit=10"


def time_once(session: requests.Session, url: str, headers: dict[str, str]) -> float:
    t = time.perf_counter()
    response = session.get(url, headers=headers, timeout=30)
    elapsed = time.perf_counter() - t
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="landgrid-bench-auth-"))
    workdir.chmod(0o755)  # the private cluster runs as 'postgres'
    port = free_port()
    settings = Settings(
        data_dir=workdir / "var",
        pg_port=free_port(),
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        prefect_port=free_port(),
        demo_size=400,
        web_workers=1,
    )
    stack = Stack(settings, lambda line: print(f"  {line}", file=sys.stderr))
    web = None
    try:
        stack.up()
        with running_provider(workdir, free_port()) as oidc:
            oidc_port = free_port()
            oidc_settings = settings.model_copy(
                update={
                    "port": oidc_port,
                    "public_url": f"http://127.0.0.1:{oidc_port}",
                    "auth_mode": "oidc",
                    "oidc_issuer": oidc.issuer,
                    "oidc_audience": oidc.audience,
                    "auth_policy": PROJECT_ROOT / "config" / "auth-policy.yml",
                }
            )
            web = Stack(oidc_settings, lambda _: None)
            web.start_web()
            web.wait_web()
            runs = {
                "open": (f"{settings.url}{PATH}", {}),
                "anonymous": (f"{oidc_settings.url}{PATH}", {}),
                "jwt": (f"{oidc_settings.url}{PATH}", oidc.headers("user-a")),
            }
            sessions = {name: requests.Session() for name in runs}
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(20):  # warm up connections, caches, JWKS
                for name, (url, headers) in runs.items():
                    time_once(sessions[name], url, headers)
            for _ in range(args.repeat):
                for name, (url, headers) in runs.items():
                    times[name].append(time_once(sessions[name], url, headers))
            median = {name: statistics.median(values) for name, values in times.items()}
            print(f"GET {PATH}, median of {args.repeat}, 1 gunicorn worker each")
            for name, value in median.items():
                print(f"  {name:<10} {value * 1000:7.2f} ms")
            print(f"  jwt / anonymous = {median['jwt'] / median['anonymous']:.3f}  (goal < 1.1)")
            print(f"  jwt / open      = {median['jwt'] / median['open']:.3f}")
    finally:
        if web is not None:
            web.stop()
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
