"""What the benchmarks share: a throwaway stack's settings, stock pygeoapi (its own app on a
configuration of the benchmark's choosing, under the same gunicorn settings as ours), and
contenders timed in turn."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack
from landgrid.settings import Settings


def throwaway_settings() -> Settings:
    """Settings of a stack in a new temporary folder (``settings.data_dir.parent``, to
    remove afterwards), on free ports."""
    base_dir = Path(tempfile.mkdtemp(prefix="landgrid-bench-"))
    base_dir.chmod(0o755)
    port = free_port()
    return Settings(
        data_dir=base_dir / "var",
        pg_port=free_port(),
        port=port,
        prefect_port=free_port(),
        worker_metrics_port=free_port(),
        reconciler_metrics_port=free_port(),
        public_url=f"http://127.0.0.1:{port}",
        demo_size=200,
        max_jobs_per_user=1000,  # bursts of one client: fair share is not what is measured
        max_jobs=5000,
    )


def serve_stock_pygeoapi(
    stack: Stack, settings: Settings, config: dict[str, Any], port: int, probe: str = "/"
) -> str:
    """Start it (a child of ``stack``, stopped with it); its base URL once ``probe`` answers."""
    config_path = settings.data_dir / "stock-pygeoapi.yml"
    config_path.write_text(yaml.safe_dump(config))
    openapi_path = settings.data_dir / "stock-openapi.yml"
    env = {**stack.env, "PYGEOAPI_CONFIG": str(config_path), "PYGEOAPI_OPENAPI": str(openapi_path)}
    generate = [str(stack.bin / "pygeoapi"), "openapi", "generate", str(config_path)]
    subprocess.run(
        [*generate, "--output-file", str(openapi_path)], env=env, check=True, capture_output=True
    )
    stack.env = env
    sizes = ["--workers", str(settings.web_workers), "--threads", str(settings.web_threads)]
    gunicorn = [str(stack.bin / "gunicorn"), "--bind", f"127.0.0.1:{port}", *sizes]
    stack.spawn("stock-web", [*gunicorn, "pygeoapi.flask_app:APP"])
    base = f"http://127.0.0.1:{port}"
    wait_http(base + probe, "stock pygeoapi")
    return base


def wait_http(url: str, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not start")


def timed_together(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Medians of several contenders timed in turn, round after round, so that the load of
    a shared machine falls on all of them alike and their ratios stay readable."""
    for fn in fns:
        fn()  # warm up
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, samples, strict=True):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in samples]
