"""A second start keeps products and jobs; bad configuration gives one line, not a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from landgrid.ops.stack import Stack
from landgrid.settings import Settings

pytestmark = pytest.mark.services

LANDGRID = str(Path(sys.executable).parent / "landgrid")


def run_cli(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LANDGRID, "serve"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_restart_keeps_products_and_jobs(new_port):
    free_port = new_port
    base = Path(tempfile.mkdtemp(prefix="landgrid-restart-"))
    base.chmod(0o755)
    port = free_port()
    settings = Settings(
        data_dir=base / "var",
        pg_port=free_port(),
        port=port,
        prefect_port=free_port(),
        public_url=f"http://127.0.0.1:{port}",
        demo_size=300,
        web_workers=1,
    )
    try:
        first = Stack(settings, lambda _: None)
        try:
            first.up()
            r = requests.post(
                f"{settings.url}/processes/echo/execution",
                json={"inputs": {"echoInput": "keep me"}},
                timeout=60,
            )
            assert r.status_code == 200
            jobs_before = requests.get(
                f"{settings.url}/jobs", params={"f": "json"}, timeout=10
            ).json()["jobs"]
            collections_before = requests.get(
                f"{settings.url}/collections", params={"f": "json"}, timeout=10
            ).json()
        finally:
            first.stop()

        messages: list[str] = []
        second = Stack(settings, messages.append)
        started = time.monotonic()
        try:
            second.up()
            elapsed = time.monotonic() - started
            jobs_after = requests.get(
                f"{settings.url}/jobs", params={"f": "json"}, timeout=10
            ).json()["jobs"]
            collections_after = requests.get(
                f"{settings.url}/collections", params={"f": "json"}, timeout=10
            ).json()
        finally:
            second.stop()
        assert {j["jobID"] for j in jobs_before} <= {j["jobID"] for j in jobs_after}
        assert [c["id"] for c in collections_after["collections"]] == [
            c["id"] for c in collections_before["collections"]
        ]
        assert any("existing private cluster" in m for m in messages)
        assert any("already loaded" in m for m in messages), messages
        print(f"second start took {elapsed:.1f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_unreachable_database_is_one_line(tmp_path, new_port):
    free_port = new_port
    result = run_cli(
        {
            "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/landgrid",
            "LANDGRID_DATA_DIR": str(tmp_path),
            "LANDGRID_PORT": str(free_port()),
            "LANDGRID_PREFECT_PORT": str(free_port()),
        }
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "database unreachable" in errors[0] and "refused" in errors[0]


def test_taken_port_is_one_line(tmp_path, new_port):
    free_port = new_port
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(
            {
                "LANDGRID_DATA_DIR": str(tmp_path),
                "LANDGRID_PORT": str(port),
                "LANDGRID_PREFECT_PORT": str(free_port()),
            }
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"port {port} is taken" in result.stderr
