"""More than one host, simulated: a deployment of its own (Prefect's server with two API
processes and Redis), two workers and two web processes, each with its own working folder
and environment, sharing only PostgreSQL, the Prefect API and the product/result store.

Jobs go in through both web processes; one worker is killed while it runs some of them.
Its running jobs fail with the reason, every other job is run by the other worker, and
every result reads the same through either web process.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from landgrid.errors import StackError
from landgrid.jobs.store import JobStore
from landgrid.ops.pgcluster import free_port
from landgrid.ops.stack import Stack, child_environment
from landgrid.settings import Settings
from tests.conftest import show_service_errors
from tests.processes.test_jobs import wait_status

pytestmark = pytest.mark.services
JOBS_PER_WEB = 5


def host(settings: Settings, name: str, base: Path, **update) -> Settings:
    """Another host's settings: its own working folder and ports, the shared services."""
    port = free_port()
    return settings.model_copy(
        update={
            "data_dir": base / name,
            "port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "worker_metrics_port": free_port(),
            "reconciler_metrics_port": free_port(),
            **update,
        }
    )


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[Stack, Stack]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (setup.sh --test installs it)")
    base = Path(tempfile.mkdtemp(prefix="landgrid-hosts-"))
    base.chmod(0o755)
    store = base / "store"  # the product/result store both hosts mount
    port = free_port()
    first = Settings(
        data_dir=base / "host-a",
        store_dir=store,
        pg_port=free_port(),
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        prefect_port=free_port(),
        prefect_workers=2,
        redis_port=free_port(),
        worker_metrics_port=free_port(),
        reconciler_metrics_port=free_port(),
        worker_threads=2,
        heartbeat_interval=2,
        stuck_after=20,  # a run claimed by the dead worker but not started: repaired sooner
        demo_size=200,
    )
    a = Stack(first, lambda _: None)
    # host B: only PostgreSQL (host A's cluster, by URL), the Prefect API and the store
    second = host(first, "host-b", base, database_url=first.db_url().replace("+psycopg2", ""))
    b = Stack(second, lambda _: None)
    b.env = {**os.environ, **child_environment(second), "HOME": str(second.data_dir)}
    try:
        try:
            a.up()
            b.start_worker()
            b.start_web()
            b.wait_web()
        except StackError as exc:  # the folder goes with the fixture: show what the logs say
            show_service_errors(base / "host-a" / "logs")
            show_service_errors(base / "host-b" / "logs")
            pytest.fail(str(exc))
        yield a, b
    finally:
        b.stop()
        a.stop()
        shutil.rmtree(base, ignore_errors=True)


def submit(base_url: str, seconds: float) -> str:
    r = requests.post(
        f"{base_url}/processes/sleep/execution",
        json={"inputs": {"seconds": seconds, "steps": 4}, "response": "document"},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()["jobID"]


def wait_final(base_url: str, job_id: str) -> dict:
    return wait_status(base_url, job_id, timeout=240)


def test_a_file_result_reads_the_same_through_either_web_process(hosts) -> None:
    a, b = hosts
    collection = requests.get(f"{b.settings.url}/collections/clcplus-backbone", timeout=10)
    w, s, e, n = collection.json()["extent"]["spatial"]["bbox"][0]
    aoi = [w + (e - w) / 4, s + (n - s) / 4, e - (e - w) / 4, n - (n - s) / 4]
    r = requests.post(
        f"{b.settings.url}/processes/extract/execution",
        json={
            "inputs": {"product": "clcplus-backbone", "year": 2021, "aoi": {"bbox": aoi}},
            "outputs": {"coverage": {"transmissionMode": "reference"}},
            "response": "document",
        },
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["jobID"]
    assert wait_final(a.settings.url, job_id)["status"] == "successful"
    files = []
    for base in (a.settings.url, b.settings.url):
        document = requests.get(f"{base}/jobs/{job_id}/results", timeout=10).json()
        href = document["coverage"]["href"]
        assert href.startswith(base)
        files.append(requests.get(href, timeout=30))
    assert all(f.status_code == 200 for f in files)
    assert files[0].content[:4] in (b"II*\x00", b"MM\x00*") and files[0].content == files[1].content


def test_a_worker_dies_and_every_job_ends_where_it_should(hosts) -> None:
    a, b = hosts
    web_a, web_b = a.settings.url, b.settings.url
    worker_a = a.children["worker"]
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda i: submit((web_a, web_b)[i % 2], 4), range(2 * JOBS_PER_WEB)))
    store = JobStore(a.settings.db_url())
    on_a = f":{worker_a.pid}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until worker A holds running jobs
        held = [j for j in map(store.get, ids) if j.status == "running" and j.runner.endswith(on_a)]
        if held:
            break
        time.sleep(0.2)
    assert held, "worker A never ran any of the jobs"
    os.killpg(worker_a.pid, signal.SIGKILL)
    worker_a.wait()
    # what worker A held when it died (it changes nothing any more)
    killed = {
        job.id
        for job in map(store.get, ids)
        if job.runner and job.runner.endswith(on_a) and job.status != "successful"
    }
    assert killed

    try:
        ends = {job_id: wait_final((web_a, web_b)[n % 2], job_id) for n, job_id in enumerate(ids)}
    except AssertionError:
        for record in map(store.get, ids):  # what each job's record says, for the report
            print(record.id, record.status, record.message, record.runner, record.flow_run_id)
        for name in ("reconciler", "worker"):
            print(name, (a.settings.data_dir / "logs" / f"{name}.log").read_text()[-3000:])
        print("worker B", (b.settings.data_dir / "logs" / "worker.log").read_text()[-3000:])
        raise
    lost = ("stopped", "heartbeat", "stuck")  # the reasons of a job its worker took along
    for job_id, job in ends.items():
        if job_id in killed:
            assert job["status"] == "failed", job
            assert any(word in job["message"] for word in lost), job
        elif job["status"] != "successful":  # claimed by worker A, not yet started, when it died
            assert job["status"] == "failed" and any(w in job["message"] for w in lost), job
    runners = {j: store.get(j).runner or "" for j in ids}
    ran_on_b = [j for j in ids if runners[j] and not runners[j].endswith(on_a)]
    assert ran_on_b, "worker B ran none of the jobs"
    for job_id, job in ends.items():  # every job and result, the same through both webs
        answers = []
        for base in (web_a, web_b):
            status = requests.get(f"{base}/jobs/{job_id}", timeout=10).json()
            assert status["status"] == job["status"]
            results = requests.get(f"{base}/jobs/{job_id}/results", timeout=10)
            answers.append((results.status_code, results.json()))
        assert answers[0] == answers[1], answers
        if job["status"] == "successful":
            assert answers[0][0] == 200 and answers[0][1]["slept"] >= 4
