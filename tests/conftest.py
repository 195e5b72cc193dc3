"""Session fixtures: the real stack (PostgreSQL+PostGIS, Prefect server and worker, the web
app under gunicorn), started by the same code as ``make serve``, on free ports in a
throwaway folder. ``TEST_DATABASE_URL`` points the suite at an external database instead.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from landgrid.ops.pgcluster import free_port
from landgrid.settings import Settings
from tests.browser.harness import browser, closed_port, dist, page, serve  # noqa: F401 (one browser)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def new_port():
    """A function returning a free local port."""
    return free_port


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"real test data not found beside the checkout ({SHARED_DATA})")
    return SHARED_DATA


@pytest.fixture(scope="session")
def stack_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    # Not pytest's tmp_path: that is private to root, and the cluster runs as 'postgres'.
    path = Path(tempfile.mkdtemp(prefix="landgrid-test-"))
    path.chmod(0o755)
    yield path
    if request.session.testsfailed:
        show_service_errors(path / "var" / "logs")
    shutil.rmtree(path, ignore_errors=True)


def show_service_errors(logs: Path, context: int = 30) -> None:
    """After a failed run, the tracebacks the services logged (the folder is removed)."""
    for log in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        lines = log.read_text(errors="replace").splitlines()
        hits = [i for i, line in enumerate(lines) if "Traceback" in line or " ERROR " in line]
        if hits:
            shown = lines[max(0, hits[-1] - 5) : hits[-1] + context]
            sys.__stderr__.write(f"\n--- {log.name} (last error) ---\n" + "\n".join(shown) + "\n")


@pytest.fixture(scope="session")
def settings(stack_dir: Path) -> Settings:
    port = free_port()
    return Settings(
        data_dir=stack_dir / "var",
        database_url=os.environ.get("TEST_DATABASE_URL"),
        pg_port=free_port(),
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        prefect_port=free_port(),
        worker_metrics_port=free_port(),
        reconciler_metrics_port=free_port(),
        demo_size=400,
        web_workers=2,
        heartbeat_interval=2,  # so that a test sees beats within a short job
        callback_allow="127.0.0.0/8",  # the tests' callback receivers listen on loopback
    )


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[str]:
    """PostgreSQL + PostGIS only (migrated), for tests that need no Prefect; its URL."""
    from landgrid.ops.migrate import upgrade
    from landgrid.ops.stack import Stack

    stack = Stack(settings, lambda _: None)
    try:
        stack.start_database()
        upgrade(settings.db_url())
        yield settings.db_url()
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(settings: Settings, database: str) -> Iterator:
    """The whole stack as ``make serve`` runs it (reusing the ``database`` cluster)."""
    from landgrid.ops.stack import Stack

    stack = Stack(settings, lambda _: None)
    # room for the long computation the dismissal tests stop midway (tests/faults: 890
    # identical zones); 20,000 (the security tests' case) stay refused
    stack.env["LANDGRID_LIMIT_ZONE_OVERLAPS"] = "400000"
    try:
        stack.up()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def base_url(stack) -> str:
    return stack.settings.url
