"""Breaking a ``landgrid serve`` stack on purpose, as an operator would: SIGKILL of the
worker, the reconciler, the Prefect server (mid-burst) and gunicorn; PostgreSQL restarted
and killed under reads and submissions; then Ctrl-C. The stack restarts what died, the
other parts keep serving, and no job is lost, duplicated or stuck."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
import pytest
import requests

from landgrid.ops.pgcluster import find_pg_bin, port_in_use
from tests.faults.conftest import Served, ended, flow_runs, measure, wait_until

pytestmark = pytest.mark.services

RECONCILE = 5  # the stack's reconcile_interval (default)
RESTART = 120  # a child back and answering after a SIGKILL (backoff 1 s + its start, loaded)


def submit(base: str, process: str, inputs: dict[str, Any], key: str | None = None) -> str:
    headers = {"Prefer": "respond-async", "Idempotency-Key": key or str(uuid.uuid4())}
    r = requests.post(
        f"{base}/processes/{process}/execution",
        json={"inputs": inputs},
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return r.json()["jobID"]


def running(base: str, job_id: str) -> bool:
    return requests.get(f"{base}/jobs/{job_id}", timeout=10).json()["status"] == "running"


class HealthWatch:
    """Polls ``/health`` in the background: which states a part went through."""

    def __init__(self, served: Served, part: str) -> None:
        self.served, self.part = served, part
        self.seen: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.poll, daemon=True)
        self.thread.start()

    def poll(self) -> None:
        while not self.stop.is_set():
            try:
                status = self.served.health()["checks"][self.part]["status"]
            except (requests.RequestException, ValueError, KeyError):
                status = "no answer"
            if not self.seen or self.seen[-1] != status:
                self.seen.append(status)
            time.sleep(0.2)

    def ok_again(self) -> bool:
        return "down" in self.seen and self.seen[-1] == "ok"

    def close(self) -> list[str]:
        self.stop.set()
        self.thread.join()
        return self.seen


def test_a_killed_worker_is_restarted_and_its_job_fails_in_bounded_time(served: Served):
    job_id = submit(served.url, "sleep", {"seconds": 300, "steps": 300})
    wait_until(lambda: running(served.url, job_id), 120, "the job running")
    watch = HealthWatch(served, "worker")
    old = served.kill("worker")
    failed = wait_until(lambda: ended(served.url, job_id), 2 * RECONCILE + 10, "job failed")
    job = ended(served.url, job_id)
    assert job["status"] == "failed" and "the process running it stopped" in job["message"]
    back = wait_until(watch.ok_again, RESTART, "/health: worker ok again")
    assert watch.close()[-1] == "ok" and "down" in watch.seen  # the gap was reported
    assert served.pid("worker") not in (None, old)
    measure("worker SIGKILL -> its running job failed", failed, 2 * RECONCILE + 10)
    measure("worker SIGKILL -> worker restarted (/health ok)", failed + back, RESTART)
    after = submit(served.url, "echo", {"echoInput": "after"})
    wait_until(lambda: ended(served.url, after), 60, "a job on the new worker")
    assert ended(served.url, after)["status"] == "successful"
    wait_until(
        lambda: flow_runs(served.prefect_api, [job_id])[0]["state_type"] == "CRASHED",
        30,
        "the killed run Crashed in Prefect",
    )


def test_a_killed_reconciler_is_restarted_and_repairs_resume(served: Served):
    job_id = submit(served.url, "sleep", {"seconds": 300, "steps": 300})
    wait_until(lambda: running(served.url, job_id), 120, "the job running")
    watch = HealthWatch(served, "reconciler")
    served.kill("reconciler")
    served.kill("worker")  # a repair only the (restarting) reconciler can make
    failed = wait_until(lambda: ended(served.url, job_id), RESTART, "job failed")
    assert ended(served.url, job_id)["status"] == "failed"
    wait_until(watch.ok_again, RESTART, "/health: reconciler ok again")
    assert "down" in watch.close()
    measure("reconciler + worker SIGKILL -> the job failed", failed, RESTART)
    after = submit(served.url, "echo", {"echoInput": "after"})
    wait_until(lambda: ended(served.url, after), 120, "a job after both restarts")
    assert ended(served.url, after)["status"] == "successful"


def test_prefect_killed_mid_burst_of_fifty(served: Served):
    """Every submission is accepted while Prefect is down and restarting; every job runs
    exactly once when it is back."""
    watch = HealthWatch(served, "prefect")
    accepted = threading.Semaphore(0)
    tag = uuid.uuid4().hex[:8]

    def one(i: int) -> tuple[int, str]:
        headers = {"Prefer": "respond-async", "Idempotency-Key": f"burst-{tag}-{i}"}
        r = requests.post(
            f"{served.url}/processes/echo/execution",
            json={"inputs": {"echoInput": f"job {i}"}},
            headers=headers,
            timeout=60,
        )
        accepted.release()
        return r.status_code, r.json().get("jobID", r.text)

    def kill_prefect() -> None:
        for _ in range(10):  # mid-burst: after ten answers
            accepted.acquire(timeout=60)
        served.kill("prefect-server")

    killer = threading.Thread(target=kill_prefect)
    killer.start()
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one, range(50)))
    killer.join()
    assert [status for status, _ in answers] == [201] * 50, answers
    ids = [job_id for _, job_id in answers]
    assert len(set(ids)) == 50
    done = wait_until(lambda: all(ended(served.url, i) for i in ids), 300, "the burst done")
    assert {ended(served.url, i)["status"] for i in ids} == {"successful"}
    measure("Prefect SIGKILL mid-burst of 50 -> all 50 successful", done, 300)
    wait_until(watch.ok_again, RESTART, "/health: prefect ok again")
    assert "down" in watch.close()

    def one_completed_run_each() -> bool:
        runs = flow_runs(served.prefect_api, ids)
        return len(runs) == 50 and all(r["state_type"] == "COMPLETED" for r in runs)

    wait_until(one_completed_run_each, 120, "one Completed flow run per job")
    assert sorted(r["name"] for r in flow_runs(served.prefect_api, ids)) == sorted(ids)


def test_a_killed_web_app_answers_again(served: Served):
    job_id = submit(served.url, "sleep", {"seconds": 6, "steps": 6})
    old = served.kill("web")  # the master: its workers go with it (the stack cleans up)

    def new_web_answers() -> bool:
        pid = served.pid("web")
        return pid not in (None, old) and requests.get(f"{served.url}/conformance", timeout=5).ok

    back = wait_until(new_web_answers, RESTART, "a new gunicorn answering")
    measure("gunicorn SIGKILL -> a new gunicorn answers", back, RESTART)
    wait_until(lambda: ended(served.url, job_id), 120, "the job that ran meanwhile")
    assert ended(served.url, job_id)["status"] == "successful"


class Traffic:
    """Readers (items, coverage PNG windows, the job list, job polling) and a submitter
    that retries on 503 with its Idempotency-Key, as a client should."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.stop = threading.Event()
        self.answers: collections.Counter = collections.Counter()
        self.wrong: list[tuple[str, int, str]] = []
        self.jobs: dict[str, str] = {}  # idempotency key -> job id
        base = served.url
        self.urls = [
            f"{base}/collections/clcplus-backbone-polygons/items?limit=5",
            f"{base}/collections/clcplus-backbone/coverage?f=png&width=64"
            "&subset=E(4300000:4301000)&subset=N(2699000:2700000)",
            f"{base}/jobs?limit=5",
        ]
        self.threads = [threading.Thread(target=self.read, args=(u,)) for u in self.urls]
        self.threads += [threading.Thread(target=self.poll), threading.Thread(target=self.post)]
        for thread in self.threads:
            thread.start()

    def check(self, url: str, r: requests.Response) -> None:
        self.answers[r.status_code] += 1
        if r.status_code == 503:
            json_ok = r.headers.get("Content-Type", "").startswith("application/json")
            if not json_ok or "Retry-After" not in r.headers:
                self.wrong.append((url, r.status_code, r.text[:200]))
        elif r.status_code >= 400:
            self.wrong.append((url, r.status_code, r.text[:200]))

    def read(self, url: str) -> None:
        while not self.stop.is_set():
            try:
                self.check(url, requests.get(url, timeout=30))
            except requests.ConnectionError:
                self.answers["no connection"] += 1  # never expected: the web app lives on
            time.sleep(0.05)

    def poll(self) -> None:
        while not self.stop.is_set():
            for job_id in list(self.jobs.values())[-5:]:
                url = f"{self.served.url}/jobs/{job_id}"
                self.check(url, requests.get(url, timeout=30))
            time.sleep(0.2)

    def post(self) -> None:
        while not self.stop.is_set():
            key = str(uuid.uuid4())
            while not self.stop.is_set():
                r = requests.post(
                    f"{self.served.url}/processes/sleep/execution",
                    json={"inputs": {"seconds": 1, "steps": 2}},
                    headers={"Prefer": "respond-async", "Idempotency-Key": key},
                    timeout=30,
                )
                self.check("POST execution", r)
                if r.status_code == 201:
                    self.jobs[key] = r.json()["jobID"]
                    break
                time.sleep(float(r.headers.get("Retry-After", 1)) / 5)
            time.sleep(0.3)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def pg_ctl(served: Served, *args: str) -> None:
    command = [str(find_pg_bin() / "pg_ctl"), *args, "-D", str(served.data_dir / "postgres")]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@pytest.mark.parametrize("fault", ["restart", "kill"])
def test_database_restart_and_kill_under_reads_and_submissions(served: Served, fault: str):
    """Requests caught in the outage answer 503 JSON with Retry-After (never a 500 or an
    HTML page), the pools reconnect by themselves, every submission lands exactly once and
    every job ends."""
    traffic = Traffic(served)
    try:
        wait_until(lambda: len(traffic.jobs) >= 3, 60, "submissions before the fault")
        started = time.monotonic()
        if fault == "restart":
            port, log = served.env["LANDGRID_PG_PORT"], served.data_dir / "postgres" / "server.log"
            pg_ctl(served, "restart", "-m", "fast", "-w", "-o", f"-p {port}", "-l", str(log))
        else:
            os.kill(served.postmaster(), signal.SIGKILL)  # the stack starts it again
        time.sleep(1)
        bound = 30 if fault == "restart" else 60
        back = wait_until(
            lambda: requests.get(f"{served.url}/jobs?limit=1", timeout=10).status_code == 200,
            bound,
            "the API answering after the database came back",
        )
        measure(f"PostgreSQL {fault} -> the API answers again", time.monotonic() - started, bound)
        submitted = len(traffic.jobs)
        wait_until(lambda: len(traffic.jobs) >= submitted + 3, 60, "submissions after it")
        measure(f"PostgreSQL {fault} -> first 200 after the server was back", back, bound)
    finally:
        traffic.close()
    assert not traffic.wrong, traffic.wrong[:5]
    assert traffic.answers["no connection"] == 0
    ids = list(traffic.jobs.values())
    assert len(set(ids)) == len(ids)
    wait_until(lambda: all(ended(served.url, i) for i in ids), 180, "every job ended")
    statuses = collections.Counter(ended(served.url, i)["status"] for i in ids)
    assert statuses == {"successful": len(ids)}, statuses
    runs = flow_runs(served.prefect_api, ids)
    assert len(runs) == len(ids), "one flow run per job"


def test_ctrl_c_stops_everything(served: Served):
    processes = [psutil.Process(served.process.pid)]
    processes += processes[0].children(recursive=True)
    postmaster = psutil.Process(served.postmaster())
    served.process.send_signal(signal.SIGINT)
    served.process.wait(90)
    _, alive = psutil.wait_procs([*processes, postmaster], timeout=30)
    assert not alive, [p.pid for p in alive]
    for variable in ("LANDGRID_PORT", "LANDGRID_PREFECT_PORT", "LANDGRID_PG_PORT"):
        assert not port_in_use(int(served.env[variable]))
    wait_until(lambda: any("stopped" in line for line in served.output[-3:]), 10, "said so")
