"""Job faults on the session stack (nothing shared is killed): an input of 1 MB, a refusal
from Prefect, dismissal of work that never reports progress (async and sync), a run that
died while its worker lives on, the results folder unwritable, fair share."""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Running

from landgrid.jobs.model import Job
from landgrid.jobs.store import JobStore
from landgrid.web.app import create_app
from tests.faults.conftest import ended, flow_runs, measure, wait_until

pytestmark = pytest.mark.services

BEAT = 2  # the session stack's heartbeat_interval
RECONCILE = 5


def polygon(x: float, y: float, radius: float, sides: int) -> list[list[float]]:
    ring = [
        [round(x + radius * math.cos(2 * math.pi * k / sides), 3),
         round(y + radius * math.sin(2 * math.pi * k / sides), 3)]
        for k in range(sides)
    ]  # fmt: skip
    return [*ring, ring[0]]


def zones(count: int, same: bool = False) -> dict[str, Any]:
    """Small zones in the demo product (EPSG:3035); ``same``: all one large polygon (each
    counted in a layer of its own: long enough to dismiss it midway)."""
    features = []
    for i in range(count):
        x, y = (4302000, 2698000) if same else (4300100 + i % 60 * 45, 2699900 - i // 60 * 45)
        ring = polygon(x, y, 1800 if same else 20, 16 if same else 8)
        geometry = {"type": "Polygon", "coordinates": [ring]}
        features.append({"type": "Feature", "id": i, "properties": {"n": i}, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def execute(base: str, process: str, inputs: dict[str, Any], prefer: str | None = None):
    headers = {"Prefer": prefer} if prefer else {}
    return requests.post(
        f"{base}/processes/{process}/execution",
        json={"inputs": inputs, "response": "document"},
        headers=headers,
        timeout=120,
    )


def prefect(settings):
    return temporary_settings({PREFECT_API_URL: settings.prefect_api})


# inputs of any size ----------------------------------------------------------------------
@pytest.mark.parametrize("prefer", ["respond-async", None])
def test_an_input_of_a_megabyte_runs(base_url, settings, prefer):
    inputs = {"product": "clcplus-backbone", "year": 2021, "zonesCrs": "EPSG:3035"}
    inputs["zones"] = zones(4000)
    r = execute(base_url, "landcover-statistics", inputs, prefer or "wait=300")
    assert len(r.request.body) > 1_000_000
    if prefer:
        assert r.status_code == 201, r.text
        job_id = r.json()["jobID"]
        wait_until(lambda: ended(base_url, job_id), 300, "the 1 MB async job")
        assert ended(base_url, job_id)["status"] == "successful", ended(base_url, job_id)
        result = requests.get(f"{base_url}/jobs/{job_id}/results", timeout=60).json()
    else:
        assert r.status_code == 200, r.text
        result = r.json()
        listed = requests.get(f"{base_url}/jobs?processID=landcover-statistics&limit=1")
        job_id = listed.json()["jobs"][0]["jobID"]
    assert len(result["statistics"]["zones"]) == 4000
    wait_until(lambda: flow_runs(settings.prefect_api, [job_id]), 60, "its flow run")
    parameters = flow_runs(settings.prefect_api, [job_id])[0]["parameters"]
    assert parameters == {"job_id": job_id, "process_id": "landcover-statistics"}


def test_a_refusal_from_prefect_fails_the_job_with_the_reason(base_url, settings):
    """Prefect answers 409 when a run does not match its deployment's enforced parameter
    schema (a deployment applied by another version, say): retrying cannot help, so the
    job fails at once with Prefect's reason instead of waiting for the engine forever."""
    process = f"refused-{uuid.uuid4().hex[:6]}"
    with prefect(settings), get_client(sync_client=True) as client:
        flow = client.read_flow_by_name("ogc-process")
        deployment = client.create_deployment(
            flow_id=flow.id,
            name=process,
            work_pool_name=settings.work_pool,
            parameter_openapi_schema={
                "type": "object",
                "properties": {"inputs": {"type": "object"}},
                "required": ["inputs"],
            },
            enforce_parameter_schema=True,
        )
    store = JobStore(settings.db_url())
    job_id, old = str(uuid.uuid4()), datetime.now(UTC) - timedelta(minutes=1)
    store.create(
        Job(id=job_id, process_id=process, owner="anonymous", status="accepted", mode="async",
            inputs={}, created=old, updated=old)
    )  # fmt: skip
    try:
        failed = wait_until(lambda: ended(base_url, job_id), 2 * RECONCILE + 20, "job failed")
        job = ended(base_url, job_id)
        assert job["status"] == "failed"
        assert "refused" in job["message"] and "409" in job["message"], job["message"]
        assert "inputs" in job["message"]  # Prefect's own reason
        measure("Prefect refusal (409) -> job failed with the reason", failed, 30)
        time.sleep(RECONCILE + 1)  # the next passes leave it alone
        assert ended(base_url, job_id)["message"] == job["message"]
    finally:
        with prefect(settings), get_client(sync_client=True) as client:
            client.delete_deployment(deployment)


# dismissal -------------------------------------------------------------------------------
def cancelled_run(settings, job_id: str) -> dict[str, Any] | None:
    runs = flow_runs(settings.prefect_api, [job_id])
    return runs[0] if runs and runs[0]["state_type"] == "CANCELLED" else None


def test_dismissing_a_job_that_never_reports_stops_its_run(base_url, settings):
    r = execute(base_url, "sleep", {"seconds": 600, "steps": 1}, "respond-async")
    job_id = r.json()["jobID"]
    wait_until(lambda: ended(base_url, job_id) or running(base_url, job_id), 120, "running")
    time.sleep(1)  # in its one long step
    assert running(base_url, job_id), ended(base_url, job_id)
    assert requests.delete(f"{base_url}/jobs/{job_id}", timeout=30).json()["status"] == "dismissed"
    try:
        stopped = wait_until(lambda: cancelled_run(settings, job_id), 2 * BEAT + 10, "Cancelled")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {flow_runs(settings.prefect_api, [job_id])}") from exc
    run = cancelled_run(settings, job_id)
    assert run["state"]["message"] == "the job was dismissed"  # the run itself returned
    measure("dismissal of a job that never reports -> its run Cancelled", stopped, 2 * BEAT + 10)


def test_dismissing_a_sync_job_stops_its_web_thread(base_url, settings):
    """A sync job that outlived its wait (201) runs on in the web process: dismissed, its
    thread stops, and only then does its flow-run mirror record Cancelled."""
    r = execute(base_url, "sleep", {"seconds": 600, "steps": 1}, "wait=1")
    assert r.status_code == 201, r.text
    job_id = r.json()["jobID"]
    requests.delete(f"{base_url}/jobs/{job_id}", timeout=30)
    stopped = wait_until(lambda: cancelled_run(settings, job_id), 2 * BEAT + 10, "Cancelled")
    measure("dismissal of a sync job -> its web thread stopped", stopped, 2 * BEAT + 10)


def cpu(processes: list[psutil.Process], seconds: float = 3) -> float:
    """CPU time the processes used per second of wall time, over ``seconds``."""

    def total() -> float:
        return sum(sum(p.cpu_times()[:2]) for p in processes)

    before = total()
    time.sleep(seconds)
    return (total() - before) / seconds


@pytest.mark.parametrize("prefer", ["respond-async", "wait=1"])
def test_dismissing_a_long_computation_stops_it_midway(base_url, settings, stack, prefer):
    """890 identical zones over most of the product (395,605 overlapping pairs: the
    session stack allows 400,000): layered and counted for many seconds with no progress
    report in between; a dismissal stops it inside the loop,
    and the process that ran it (the worker, or a web worker for a sync job) goes idle."""
    where = psutil.Process(stack.children["worker" if prefer == "respond-async" else "web"].pid)
    processes = [where, *where.children()]
    inputs = {"product": "clcplus-backbone", "year": 2021, "zonesCrs": "EPSG:3035"}
    inputs["zones"] = zones(890, same=True)
    r = execute(base_url, "landcover-statistics", inputs, prefer)
    assert r.status_code == 201, r.text
    job_id = r.json()["jobID"]
    wait_until(lambda: job_progress(base_url, job_id) >= 1, 120, "computing")
    time.sleep(2)
    assert ended(base_url, job_id) is None, "the computation ended before its dismissal"
    requests.delete(f"{base_url}/jobs/{job_id}", timeout=30)
    stopped = wait_until(lambda: cancelled_run(settings, job_id), 2 * BEAT + 15, "Cancelled")
    mode = "async" if prefer == "respond-async" else "sync"
    measure(f"dismissal mid-computation ({mode}) -> stopped", stopped, 2 * BEAT + 15)
    assert cpu(processes) < 0.3, "the computation goes on after its dismissal"


def running(base_url: str, job_id: str) -> bool:
    return requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()["status"] == "running"


def job_progress(base_url: str, job_id: str) -> int:
    job = requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()
    return job.get("progress") or 0 if job["status"] == "running" else -1


# liveness per run ------------------------------------------------------------------------
def test_a_dead_run_fails_while_its_worker_lives_on(base_url, settings, stack):
    """A job whose run is gone (its thread ended without a word: a hook lost in a database
    restart, say) but whose worker process is alive: the worker beats only for the runs it
    has, so the job's beats stop and it fails within ``heartbeat_timeout``."""
    worker = stack.children["worker"].pid
    job_id = str(uuid.uuid4())
    with prefect(settings), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("ogc-process/echo")
        run = client.create_flow_run_from_deployment(
            deployment.id,
            parameters={"job_id": job_id, "process_id": "echo"},
            name=job_id,
            state=Running(),
        )
    store = JobStore(settings.db_url())
    store.create(
        Job(id=job_id, process_id="echo", owner="anonymous", status="running", mode="async",
            inputs={"echoInput": "x"}, flow_run_id=str(run.id), started=datetime.now(UTC),
            heartbeat=datetime.now(UTC), runner=f"{socket.gethostname()}:{worker}")
    )  # fmt: skip
    bound = settings.heartbeat_timeout + 2 * RECONCILE + 10
    failed = wait_until(lambda: ended(base_url, job_id), bound, "the dead run's job failed")
    job = ended(base_url, job_id)
    assert job["status"] == "failed" and "no heartbeat from its run" in job["message"], job
    assert stack.children["worker"].poll() is None  # the worker lived on
    wait_until(
        lambda: flow_runs(settings.prefect_api, [job_id])[0]["state_type"] == "CRASHED",
        30,
        "its run Crashed",
    )
    measure("a dead run, worker alive -> its job failed", failed, bound)


# storage ---------------------------------------------------------------------------------
@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Nothing can be created in ``folder`` (root ignores permissions: the immutable
    attribute then)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("chattr is needed to make a folder unwritable for root")
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)


def test_an_unwritable_results_folder_fails_jobs_clearly(base_url, settings):
    inputs = {"product": "clcplus-backbone", "year": 2021, "zonesCrs": "EPSG:3035"}
    inputs["zones"] = zones(3)
    with unwritable(settings.results_dir):
        r = execute(base_url, "landcover-statistics", inputs, "respond-async")
        job_id = r.json()["jobID"]
        wait_until(lambda: ended(base_url, job_id), 120, "the job ended")
        job = ended(base_url, job_id)
        assert job["status"] == "failed", job
        assert "cannot write the job's results" in job["message"]
        assert str(settings.data_dir) not in job["message"]  # no server path
        results = requests.get(f"{base_url}/jobs/{job_id}/results", timeout=10)
        assert results.status_code == 503 and results.json()["type"] == "ServiceUnavailable"
        sync = execute(base_url, "landcover-statistics", inputs)
        assert sync.status_code == 503, sync.text
        assert sync.headers["Content-Type"].startswith("application/json")
        echo = execute(base_url, "echo", {"echoInput": "no files"})
        assert echo.status_code == 200  # what writes no file still works
    again = execute(base_url, "landcover-statistics", inputs)
    assert again.status_code == 200, again.text


# fair share ------------------------------------------------------------------------------
def test_fair_share_answers_429_with_retry_after(settings, stack):
    """Limits as settings: an app with a per-user limit two above what is open now, then
    one whose global limit our two jobs reach."""
    store = JobStore(settings.db_url())
    open_now = len([j for j in store.open_page(None, 1000) if j.owner == "anonymous"])
    limited = settings.model_copy(update={"max_jobs_per_user": open_now + 2})
    own = create_app(limited).test_client()
    sleep = {"inputs": {"seconds": 60, "steps": 60}}
    async_ = {"Prefer": "respond-async"}
    key = {"Idempotency-Key": f"fs-{uuid.uuid4()}"}
    first = own.post("/processes/sleep/execution", json=sleep, headers=async_ | key)
    second = own.post("/processes/sleep/execution", json=sleep, headers=async_)
    assert first.status_code == second.status_code == 201, (first.json, second.json)
    ids = [first.json["jobID"], second.json["jobID"]]
    try:
        refused = own.post("/processes/sleep/execution", json=sleep, headers=async_)
        assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
        assert refused.json["type"] == "TooManyRequests" and "you have" in refused.json["detail"]
        retried = own.post("/processes/sleep/execution", json=sleep, headers=async_ | key)
        assert retried.status_code == 201 and retried.json["jobID"] == ids[0]
        # our two sleeping jobs alone fill a server limited to two
        full_settings = settings.model_copy(update={"max_jobs": 2, "max_jobs_per_user": 1000})
        full = create_app(full_settings).test_client()
        refused = full.post("/processes/sleep/execution", json=sleep, headers=async_)
        assert refused.status_code == 429 and "the server has" in refused.json["detail"]
        sync = full.post("/processes/echo/execution", json={"inputs": {"echoInput": "x"}})
        assert sync.status_code == 429  # a sync job is a job too
    finally:
        for job_id in ids:
            own.delete(f"/jobs/{job_id}")


# health ----------------------------------------------------------------------------------
def test_health_and_the_container_checks_see_worker_and_reconciler(base_url, settings):
    checks = requests.get(f"{base_url}/health", timeout=10).json()["checks"]
    assert checks["worker"]["status"] == checks["reconciler"]["status"] == "ok", checks
    env = {**os.environ, "DATABASE_URL": settings.db_url().replace("+psycopg2", "")}
    landgrid = str(Path(sys.executable).parent / "landgrid")
    for service in ("worker", "reconciler"):
        alive = subprocess.run([landgrid, "alive", service], env=env, capture_output=True)
        assert alive.returncode == 0, alive.stderr
    stale = subprocess.run(
        [landgrid, "alive", "worker", "--within", "0"], env=env, capture_output=True, text=True
    )
    assert stale.returncode == 1 and stale.stderr.startswith("error: no worker")
