"""Job-execution benchmark: submit -> successful for a trivial job, side by side.

    .venv/bin/python bench/jobs.py [--runs 30] [--burst 200]

Starts a throwaway stack (PostgreSQL, Prefect server, our warm worker, reconciler, gunicorn)
and measures, in one run:

- ``ours async``: POST /processes/echo/execution (respond-async) -> poll /jobs/{id} until
  successful, through the Prefect worker;
- ``bare Prefect``: ``run_deployment`` of the same flow to a stock ``prefect worker`` (process
  type, 1 s polling) on its own work pool, waiting for Completed;
- ``pygeoapi thread manager``: the same on stock pygeoapi with its default manager (jobs
  in a thread of the web worker, TinyDB, no durability) and its own echo process;
- ``ours sync``: POST without Prefer (runs in the web process, mirrored as a Prefect flow
  run) vs calling the process function directly (the overhead the API adds);
- a burst of ``--burst`` concurrent async submissions: wall time, errors, lost jobs, with
  Prefect's server running one API process and running two (Redis for their messages, a
  separate process for Prefect's loop services), the two set-ups in turn for ``--rounds``
  rounds, each on a stack started afresh on the same data.

Prints medians, p95 and ratios. Timings are the machine's; compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import yaml
from harness import serve_stock_pygeoapi, throwaway_settings

from landgrid.ops.pgcluster import free_port, port_in_use
from landgrid.ops.stack import Stack
from landgrid.settings import Settings
from processes.echo import EchoProcessor

STOCK_POOL = "bench-stock"


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def wait_job(base: str, job_id: str, timeout: float = 600, every: float = 0.05) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/jobs/{job_id}", timeout=30).json()["status"]
        if status in ("successful", "failed", "dismissed"):
            return status
        time.sleep(every)
    return "timeout"


def async_job(base: str) -> float:
    """Submit -> successful, on ours or on stock pygeoapi (both answer the job id)."""
    started = time.perf_counter()
    r = requests.post(
        f"{base}/processes/echo/execution",
        json={"inputs": {"echoInput": "x"}},
        headers={"Prefer": "respond-async"},
        timeout=60,
    )
    assert wait_job(base, r.json()["jobID"]) == "successful"
    return time.perf_counter() - started


def ours_sync(base: str) -> float:
    started = time.perf_counter()
    r = requests.post(
        f"{base}/processes/echo/execution", json={"inputs": {"echoInput": "x"}}, timeout=60
    )
    assert r.status_code == 200
    return time.perf_counter() - started


def direct_call() -> float:
    processor = EchoProcessor({"name": "echo"})
    started = time.perf_counter()
    processor.run({"echoInput": "x"})
    return time.perf_counter() - started


def bare_prefect(stack: Stack, runs: int) -> list[float]:
    """Our flow deployed to a stock process worker on its own pool."""
    env = stack.env
    script = (
        "from flows.ogc_process import ogc_process\n"
        "from flows.deployments import ensure_work_pool\n"
        "from prefect.deployments.runner import EntrypointType\n"
        "from landgrid.settings import Settings\n"
        f"ensure_work_pool(Settings(work_pool='{STOCK_POOL}'))\n"
        f"ogc_process.to_deployment(name='stock', work_pool_name='{STOCK_POOL}',"
        " entrypoint_type=EntrypointType.MODULE_PATH).apply()\n"
    )
    subprocess.run([str(stack.bin / "python"), "-c", script], env=env, check=True)
    stack.spawn(
        "stock-worker",
        [str(stack.bin / "prefect"), "worker", "start", "--pool", STOCK_POOL, "--type", "process"],
    )
    timer = (
        "import sys, time, uuid\n"
        "from prefect.deployments import run_deployment\n"
        "from landgrid.jobs.store import JobStore\nfrom landgrid.jobs.model import Job\n"
        "from landgrid.settings import Settings\n"
        "store = JobStore(Settings().db_url())\n"
        f"for _ in range({runs}):\n"
        "    job = Job(id=str(uuid.uuid4()), process_id='echo', owner='bench', status='accepted',"
        " inputs={'echoInput': 'x'}, response='raw')\n"
        "    store.create(job)\n"
        "    t = time.perf_counter()\n"
        "    run = run_deployment('ogc-process/stock', parameters={'job_id': job.id,"
        " 'process_id': 'echo'}, timeout=600, poll_interval=0.2)\n"
        "    assert run.state.is_completed(), run.state\n"
        "    print(time.perf_counter() - t, flush=True)\n"
    )
    out = subprocess.run(
        [str(stack.bin / "python"), "-c", timer],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [float(line) for line in out.split()]


def stock_pygeoapi(stack: Stack, settings: Settings, port: int) -> str:
    """pygeoapi's own app with its default job manager (TinyDB; async jobs run in a thread
    of the web worker, nothing durable) and its own echo process, same gunicorn settings."""
    config = yaml.safe_load((settings.data_dir / "pygeoapi-config.yml").read_text())
    config["server"]["url"] = f"http://127.0.0.1:{port}"
    outputs = settings.data_dir / "stock-outputs"
    outputs.mkdir(exist_ok=True)
    config["server"]["manager"] = {
        "name": "TinyDB",
        "connection": str(settings.data_dir / "stock-jobs.json"),
        "output_dir": str(outputs),
    }
    config["resources"] = {"echo": {"type": "process", "processor": {"name": "Echo"}}}
    return serve_stock_pygeoapi(stack, settings, config, port, probe="/processes/echo")


def burst(base: str, count: int) -> tuple[float, int, int]:
    started = time.perf_counter()
    errors = 0

    def submit(i: int) -> str | None:
        nonlocal errors
        try:
            r = requests.post(
                f"{base}/processes/echo/execution",
                json={"inputs": {"echoInput": str(i)}},
                headers={"Prefer": "respond-async"},
                timeout=120,
            )
            r.raise_for_status()
            return r.json()["jobID"]
        except requests.RequestException:
            errors += 1
            return None

    with ThreadPoolExecutor(32) as pool:
        ids = [i for i in pool.map(submit, range(count)) if i]
    # clients poll each job every 0.5 s, as a script or a browser would: polling every
    # 50 ms from 16 threads would take the 2 cores from the jobs it waits for
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda j: wait_job(base, j, every=0.5), ids))
    wall = time.perf_counter() - started
    lost = sum(1 for s in statuses if s != "successful") + (count - len(ids) - errors)
    return wall, errors, lost


def bursts(settings: Settings, count: int, rounds: int, api_workers: list[int]) -> dict:
    """The burst on stacks with each number of Prefect API processes, in turn, round after
    round: {workers: [(wall, errors, lost), ...]}."""
    results: dict[int, list[tuple[float, int, int]]] = {n: [] for n in api_workers}
    for round_ in range(1, rounds + 1):
        for workers in api_workers:
            print(f"burst of {count}, round {round_}, Prefect API processes: {workers} ...")
            stack = Stack(settings.model_copy(update={"prefect_workers": workers}), lambda _: None)
            try:
                stack.up()
                async_job(settings.url)  # warm up
                results[workers].append(burst(settings.url, count))
            finally:
                stack.stop()
            print("  {:.1f} s, {} submission errors, {} lost".format(*results[workers][-1]))
    return results


def report_bursts(results: dict[int, list[tuple[float, int, int]]], count: int) -> None:
    print(f"\nburst of {count} concurrent async jobs, by Prefect API processes (s per round)")
    print(f"{'API processes':14}{'median':>8}{'rounds':>24}{'errors':>8}{'lost':>6}")
    for workers, runs in results.items():
        walls = [wall for wall, _, _ in runs]
        shown = " ".join(f"{w:.1f}" for w in walls)
        errors, lost = sum(r[1] for r in runs), sum(r[2] for r in runs)
        print(f"{workers:<14}{statistics.median(walls):8.1f}{shown:>24}{errors:8}{lost:6}")
    if len(results) > 1:
        first, *others = results
        for workers in others:
            ratio = statistics.median(w for w, _, _ in results[first]) / statistics.median(
                w for w, _, _ in results[workers]
            )
            print(f"{first} / {workers} API processes: {ratio:.2f}x (goal: < 45 s, 0 lost)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--stock-runs", type=int, default=5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--api-workers", default="1,2", help="Prefect API processes to compare")
    parser.add_argument("--burst-only", action="store_true", help="only the bursts")
    args = parser.parse_args()
    api_workers = [int(n) for n in args.api_workers.split(",")]
    if args.burst_only:
        settings = throwaway_settings()
        try:
            report_bursts(bursts(settings, args.burst, args.rounds, api_workers), args.burst)
        finally:
            shutil.rmtree(settings.data_dir.parent, ignore_errors=True)
        return
    settings = throwaway_settings()
    base_dir, port = settings.data_dir.parent, settings.port
    stack = Stack(settings, lambda m: print(f"  {m}"))
    try:
        print("starting a throwaway stack ...")
        stack.up()
        base = settings.url
        async_job(base)  # warm up
        asyncs = [async_job(base) for _ in range(args.runs)]
        syncs = [ours_sync(base) for _ in range(args.runs)]
        direct = [direct_call() for _ in range(args.runs)]
        print(f"bare Prefect: {args.stock_runs} runs on a stock process worker ...")
        stock = bare_prefect(stack, args.stock_runs)
        print("stock pygeoapi, default (thread) manager ...")
        threads_base = stock_pygeoapi(stack, settings, free_port())
        async_job(threads_base)  # warm up
        thread_manager = [async_job(threads_base) for _ in range(args.runs)]
        stack.stop()
        by_workers = bursts(settings, args.burst, args.rounds, api_workers)
    finally:
        stack.stop()
        shutil.rmtree(base_dir, ignore_errors=True)
    print("\ntrivial job, submit -> successful (seconds)")
    print(f"{'':24}{'p50':>8}{'p95':>8}")
    for name, values in (
        ("ours async (warm worker)", asyncs),
        ("bare Prefect (stock)", stock),
        ("pygeoapi thread manager", thread_manager),
        ("ours sync (in web proc)", syncs),
    ):
        print(f"{name:24}{p(values, 0.5):8.3f}{p(values, 0.95):8.3f}")
    ratio = statistics.median(stock) / statistics.median(asyncs)
    print(f"\nasync: bare Prefect / ours = {ratio:.1f}x")
    closeness = statistics.median(asyncs) / statistics.median(thread_manager)
    print(f"async: ours / pygeoapi thread manager = {closeness:.1f}x (no durability there)")
    overhead = statistics.median(syncs) - statistics.median(direct)
    print(f"sync overhead over a direct call: {overhead * 1000:.0f} ms (goal < 50 ms)")
    report_bursts(by_workers, args.burst)
    if port_in_use(port):
        print("warning: web port still in use after stop")


if __name__ == "__main__":
    main()
