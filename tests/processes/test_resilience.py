"""Nothing lost, nothing stuck: a killed worker, a burst of submissions, restarts mid-run."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

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
