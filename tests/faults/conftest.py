"""Faults on purpose: processes killed, the database restarted, hostile sizes and backlogs.

Tests that kill shared services start their own stack on free ports (``landgrid serve`` as
an operator runs it, or parts of ``landgrid.ops.stack.Stack``), so that the other test
folders are not disturbed; the others use the session stack. Every test asserts that no
job is lost, duplicated or stuck, and that the API answers again within a stated bound
(a deadline on a wait, never a timing comparison). The times measured against those
bounds are printed at the end of the run (the README's reliability section quotes them).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from landgrid.ops.pgcluster import Cluster, free_port

LANDGRID = str(Path(sys.executable).parent / "landgrid")
MEASURED: list[tuple[str, float, float]] = []  # (what, seconds, bound)
CHILDREN = {  # name -> how its command line is recognised
    "prefect-server": "prefect server start",
    "worker": "flows.worker",
    "reconciler": "flows.reconciler",
    "web": "gunicorn",
}


def measure(what: str, seconds: float, bound: float) -> None:
    """Record a duration against its stated bound (checked by the caller's deadline)."""
    MEASURED.append((what, seconds, bound))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MEASURED:
        terminalreporter.section("fault bounds (measured / stated)")
        for what, seconds, bound in MEASURED:
            terminalreporter.write_line(f"{what:<64} {seconds:7.1f} s / {bound:5.0f} s")


def wait_until[T](check: Callable[[], T], bound: float, what: str, every: float = 0.2) -> float:
    """Seconds until ``check()`` is truthy; fails past ``bound`` seconds."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        if time.monotonic() - started > bound:
            raise AssertionError(f"{what}: not within {bound:.0f} s")
        time.sleep(every)


def job_status(base: str, job_id: str) -> dict[str, Any]:
    return requests.get(f"{base}/jobs/{job_id}", timeout=10).json()


def ended(base: str, job_id: str) -> dict[str, Any] | None:
    job = job_status(base, job_id)
    return job if job["status"] in ("successful", "failed", "dismissed") else None


def flow_runs(prefect_api: str, names: list[str]) -> list[dict[str, Any]]:
    """The Prefect flow runs named after these job ids (200 per request)."""
    runs = []
    for start in range(0, len(names), 200):
        page = names[start : start + 200]
        runs += requests.post(
            f"{prefect_api}/flow_runs/filter",
            json={"flow_runs": {"name": {"any_": page}}, "limit": 200},
            timeout=30,
        ).json()
    return runs


def throwaway_dir(prefix: str) -> Path:
    # not pytest's tmp_path: the private cluster runs as 'postgres' and must reach it
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@dataclass
class Served:
    """A ``landgrid serve`` process and what it started."""

    process: subprocess.Popen
    url: str
    prefect_api: str
    data_dir: Path
    env: dict[str, str]
    output: list[str] = field(default_factory=list)

    def pid(self, name: str) -> int | None:
        """The pid of the stack's child ``name`` as it runs now (None while it restarts)."""
        for child in psutil.Process(self.process.pid).children():
            try:
                if CHILDREN[name] in " ".join(child.cmdline()):
                    return child.pid
            except psutil.NoSuchProcess:
                continue
        return None

    def kill(self, name: str) -> int:
        pid = self.pid(name)
        assert pid is not None, f"no {name} running"
        os.kill(pid, signal.SIGKILL)
        return pid

    def postmaster(self) -> int:
        return int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])

    def health(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/health", timeout=10).json()


def start_serve(prefix: str, **settings: str) -> Served:
    base = throwaway_dir(prefix)
    port = free_port()
    env = {
        **os.environ,
        "LANDGRID_DATA_DIR": str(base / "var"),
        "LANDGRID_PORT": str(port),
        "LANDGRID_PG_PORT": str(free_port()),
        "LANDGRID_PREFECT_PORT": str(free_port()),
        "LANDGRID_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LANDGRID_DEMO_SIZE": "300",
        "LANDGRID_WEB_WORKERS": "1",
        **settings,
    }
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [LANDGRID, "serve"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    served = Served(
        process,
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{env['LANDGRID_PREFECT_PORT']}/api",
        base / "var",
        env,
    )
    up = threading.Event()

    def read() -> None:
        for line in process.stderr or []:
            served.output.append(line.rstrip())
            if "Landgrid is up" in line:
                up.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 480  # a loaded shared machine; the stack says why if not
    while not up.is_set():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("landgrid serve did not come up:\n" + "\n".join(served.output))
        time.sleep(0.5)
    return served


def stop_serve(served: Served) -> None:
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGINT)
        try:
            served.process.wait(60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(served.process.pid).children(recursive=True):
                child.kill()
            served.process.kill()
    cluster = Cluster(served.data_dir / "postgres", int(served.env["LANDGRID_PG_PORT"]))
    if cluster.pid() is not None:  # it outlived its stack: never leave it behind
        cluster.stop()
    shutil.rmtree(served.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """A stack of its own, as ``make serve`` runs it (supervised), for killing its parts."""
    stack = start_serve("landgrid-faults-")
    try:
        yield stack
    finally:
        stop_serve(stack)
