"""Nothing lost, nothing stuck: a killed worker, a burst of submissions, restarts mid-run."""

from __future__ import annotations

import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from landgrid.jobs.model import Job
from landgrid.jobs.store import JobStore
from tests.processes.test_jobs import execute, wait_status

pytestmark = pytest.mark.services


def test_killed_worker_fails_its_jobs_in_bounded_time(stack, base_url):
    r = execute(base_url, "sleep", {"seconds": 120, "steps": 120}, prefer="respond-async")
    job_id = r.json()["jobID"]
    wait_status(base_url, job_id, ("running",))
    worker = stack.children["worker"]
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    killed = time.monotonic()
    try:
        job = wait_status(base_url, job_id, timeout=60)
        assert job["status"] == "failed"
        assert "process running it stopped" in job["message"]
        bound = stack.settings.reconcile_interval * 2 + 5
        assert time.monotonic() - killed < bound + 30  # generous: shared CI machines
    finally:
        stack.start_worker()
    after = execute(base_url, "echo", {"echoInput": "alive"}, prefer="respond-async")
    assert wait_status(base_url, after.json()["jobID"])["status"] == "successful"


def test_fifty_concurrent_submissions_all_succeed(base_url, settings):
    def submit(i: int) -> str:
        r = execute(
            base_url,
            "echo",
            {"echoInput": f"job {i}"},
            prefer="respond-async",
            headers={"Idempotency-Key": f"burst-{i}"},
        )
        assert r.status_code == 201, r.text
        return r.json()["jobID"]

    with ThreadPoolExecutor(16) as pool:
        job_ids = list(pool.map(submit, range(50)))
    assert len(set(job_ids)) == 50
    for job_id in job_ids:
        assert wait_status(base_url, job_id, timeout=240)["status"] == "successful"
    deadline = time.monotonic() + 60  # Prefect's Completed follows the job record
    while True:
        runs = requests.post(
            f"{settings.prefect_api}/flow_runs/filter",
            json={"flow_runs": {"name": {"any_": job_ids}}},
            timeout=30,
        ).json()
        if all(r["state_type"] == "COMPLETED" for r in runs) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(runs) == 50, "exactly one flow run per job"
    assert all(run["state_type"] == "COMPLETED" for run in runs)


def test_restarting_web_and_prefect_mid_run(stack, base_url):
    r = execute(base_url, "sleep", {"seconds": 8, "steps": 8}, prefer="respond-async")
    job_id = r.json()["jobID"]
    wait_status(base_url, job_id, ("running",))
    for name in ("web", "prefect-server"):
        child = stack.children[name]
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(30)
    stack.start_prefect_server()
    stack.start_web()
    stack.wait_prefect()
    stack.wait_web()
    job = wait_status(base_url, job_id, timeout=120)
    assert job["status"] == "successful", job


def test_submissions_while_prefect_is_down_are_kept(stack, base_url, settings):
    """Prefect unreachable: an async job is accepted at once and runs when Prefect is
    back; a sync job runs anyway and its flow run is recorded afterwards."""
    server = stack.children["prefect-server"]
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(30)
    try:
        started = time.monotonic()
        queued = execute(base_url, "echo", {"echoInput": "later"}, prefer="respond-async")
        assert queued.status_code == 201, queued.text
        assert time.monotonic() - started < 30  # no client-side retry storm in the request
        job_id = queued.json()["jobID"]
        assert queued.json()["status"] == "accepted"
        sync = execute(base_url, "echo", {"echoInput": "now"})
        assert sync.status_code == 200 and sync.text == "now"
        sync_id = requests.get(f"{base_url}/jobs?processID=echo&limit=1", timeout=10).json()[
            "jobs"
        ][0]["jobID"]
        assert requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()["status"] == (
            "accepted"
        )
    finally:
        stack.start_prefect_server()
        stack.wait_prefect()
    assert wait_status(base_url, job_id, timeout=180)["status"] == "successful"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        runs = requests.post(
            f"{settings.prefect_api}/flow_runs/filter",
            json={"flow_runs": {"name": {"any_": [sync_id, job_id]}}},
            timeout=30,
        ).json()
        if len(runs) == 2 and all(r["state_type"] == "COMPLETED" for r in runs):
            break
        time.sleep(1)
    assert sorted(r["name"] for r in runs) == sorted([sync_id, job_id])
    assert all(r["state_type"] == "COMPLETED" for r in runs), runs


def test_job_of_a_silent_remote_runner_fails(base_url, settings):
    """A runner on another host cannot be checked by pid: its heartbeats tell. A running
    job whose heartbeats stopped longer than ``stuck_after`` ago is failed."""
    store = JobStore(settings.db_url())
    job_id = str(uuid.uuid4())
    long_ago = datetime.now(UTC) - timedelta(seconds=settings.stuck_after + 60)
    store.create(
        Job(
            id=job_id,
            process_id="echo",
            owner="anonymous",
            status="running",
            mode="async",
            inputs={"echoInput": "x"},
            runner="another-host:4242",
            started=long_ago,
            heartbeat=long_ago,
        )
    )
    job = wait_status(base_url, job_id, timeout=60)
    assert job["status"] == "failed" and "no heartbeat" in job["message"], job


def test_job_heartbeats_while_it_runs(base_url, settings):
    r = execute(base_url, "sleep", {"seconds": 6, "steps": 6}, prefer="respond-async")
    job_id = r.json()["jobID"]
    wait_status(base_url, job_id, ("running",))
    store = JobStore(settings.db_url())
    first = store.get(job_id).heartbeat
    deadline = time.monotonic() + 30
    while store.get(job_id).heartbeat == first and time.monotonic() < deadline:
        time.sleep(0.5)
    assert store.get(job_id).heartbeat > first
    assert wait_status(base_url, job_id)["status"] == "successful"


def test_a_job_without_deployment_fails_clearly_and_the_reconciler_lives_on(base_url, settings):
    """An accepted job whose process has no Prefect deployment (e.g. deployments not
    applied after a configuration change) fails with the fix in its message."""
    store = JobStore(settings.db_url())
    job_id = str(uuid.uuid4())
    store.create(
        Job(
            id=job_id,
            process_id="not-deployed",
            owner="anonymous",
            status="accepted",
            mode="async",
            inputs={},
            created=datetime.now(UTC) - timedelta(minutes=1),
            updated=datetime.now(UTC) - timedelta(minutes=1),
        )
    )
    job = wait_status(base_url, job_id, timeout=60)
    assert job["status"] == "failed" and "flows.deployments" in job["message"], job
    after = execute(base_url, "echo", {"echoInput": "still here"}, prefer="respond-async")
    assert wait_status(base_url, after.json()["jobID"])["status"] == "successful"
