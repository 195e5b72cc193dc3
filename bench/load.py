"""Load benchmark: readers while a burst of jobs runs, beside the same readers alone.

    .venv/bin/python bench/load.py [--readers 50] [--seconds 60] [--jobs 200]

Starts a throwaway stack (what ``make serve`` runs: 2 gunicorn workers x 4 threads, our
worker, the reconciler) and runs, in one run:

- ``alone``: ``--readers`` concurrent clients for ``--seconds / 2`` s, each in turn asking
  for a page of features (``items?limit=10`` in a random bbox), a coverage PNG window
  (1 km, 256 px, random place and year) and the status of a job (polling);
- ``with jobs``: the same readers for ``--seconds`` s while ``--jobs`` async jobs are
  submitted at once (16 clients) and polled to their end, as the job benchmark's burst.

Prints requests/s, p50/p95 per kind and overall, errors (goal 0), jobs lost (goal 0),
exactly one flow run per job, and the burst's time (goal < 60 s on a quiet machine), with
the ratios of the loaded round to the quiet one. Timings are the machine's: compare ratios.
"""

from __future__ import annotations

import argparse
import random
import shutil
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import requests
from harness import throwaway_settings

from landgrid.ops.stack import Stack

KINDS = ("items", "coverage", "job")
X0, Y1, SIDE = 4300000, 2700000, 20000  # the demo product's extent (EPSG:3035)
EPSG_3035 = "http://www.opengis.net/def/crs/EPSG/0/3035"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")


class Readers:
    """``count`` clients asking in turn for features, a coverage window and a job status."""

    def __init__(self, base: str, count: int, job_ids: list[str]) -> None:
        self.base, self.count, self.job_ids = base, count, job_ids
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.stop = threading.Event()

    def url(self, kind: str, rng: random.Random) -> str:
        x, y = X0 + rng.randrange(SIDE - 1000), Y1 - rng.randrange(1000, SIDE)
        if kind == "items":
            bbox = f"{x},{y},{x + 2000},{y + 2000}&bbox-crs={EPSG_3035}"
            return f"{self.base}/collections/clcplus-backbone-polygons/items?limit=10&bbox={bbox}"
        if kind == "coverage":
            year = rng.choice(("2018-01-01", "2021-01-01"))
            window = f"subset=E({x}:{x + 1000})&subset=N({y}:{y + 1000})&datetime={year}"
            return f"{self.base}/collections/clcplus-backbone/coverage?f=png&width=256&{window}"
        return f"{self.base}/jobs/{rng.choice(self.job_ids)}"

    def client(self, seed: int) -> None:
        rng, session = random.Random(seed), requests.Session()
        turn = seed
        while not self.stop.is_set():
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            started = time.perf_counter()
            try:
                ok = session.get(self.url(kind, rng), timeout=60).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                self.times[kind].append(time.perf_counter() - started)
            else:
                self.errors[kind] += 1

    def run(self, seconds: float, until: threading.Event | None = None) -> float:
        """Read for ``seconds`` (and until ``until`` is set); the wall time."""
        threads = [threading.Thread(target=self.client, args=(i,)) for i in range(self.count)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        if until is not None:
            until.wait()
        self.stop.set()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def wait_job(base: str, job_id: str) -> str:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            status = requests.get(f"{base}/jobs/{job_id}", timeout=60).json()["status"]
        except (requests.RequestException, ValueError):
            status = "unknown"
        if status in ("successful", "failed", "dismissed"):
            return status
        time.sleep(0.5)
    return "timeout"


def burst(base: str, count: int, ids: list[str], done: threading.Event, out: dict) -> None:
    """Submit ``count`` echo jobs at once and poll each to its end."""
    started = time.perf_counter()

    def submit(i: int) -> str | None:
        try:
            r = requests.post(
                f"{base}/processes/echo/execution",
                json={"inputs": {"echoInput": f"load {i}"}},
                headers={"Prefer": "respond-async"},
                timeout=120,
            )
            return r.json()["jobID"] if r.status_code == 201 else None
        except requests.RequestException:
            return None

    with ThreadPoolExecutor(16) as pool:
        submitted = list(pool.map(submit, range(count)))
    ids += [job_id for job_id in submitted if job_id]
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda j: wait_job(base, j), [i for i in submitted if i]))
    out["seconds"] = time.perf_counter() - started
    out["refused"] = submitted.count(None)
    out["lost"] = sum(status != "successful" for status in statuses) + out["refused"]
    done.set()


def row(name: str, readers: Readers, wall: float) -> dict[str, float]:
    every = [t for kind in KINDS for t in readers.times[kind]]
    line = {"rps": len(every) / wall, "p50": pct(every, 0.5), "p95": pct(every, 0.95)}
    errors = sum(readers.errors.values())
    print(
        f"{name:<10} {line['rps']:8.1f} req/s  p50 {1000 * line['p50']:7.1f} ms  "
        f"p95 {1000 * line['p95']:7.1f} ms  errors {errors}"
    )
    for kind in KINDS:
        times = readers.times[kind]
        print(
            f"  {kind:<9} {len(times) / wall:8.1f} req/s  p50 {1000 * pct(times, 0.5):7.1f} ms  "
            f"p95 {1000 * pct(times, 0.95):7.1f} ms  errors {readers.errors[kind]}"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=200)
    args = parser.parse_args()
    settings = throwaway_settings()
    settings = settings.model_copy(update={"demo_size": 2000})  # full-resolution windows
    stack = Stack(settings, lambda m: print(f"  {m}"))
    try:
        print("starting a throwaway stack ...")
        stack.up()
        base = settings.url
        warm: list[str] = []
        burst(base, 10, warm, threading.Event(), {})  # warm up; jobs to poll when quiet
        quiet = Readers(base, args.readers, warm)
        quiet_wall = quiet.run(args.seconds / 2)
        jobs: list[str] = list(warm)
        done, out = threading.Event(), {}
        loaded = Readers(base, args.readers, jobs)
        submitter = threading.Thread(target=burst, args=(base, args.jobs, jobs, done, out))
        submitter.start()
        loaded_wall = loaded.run(args.seconds, until=done)
        submitter.join()
        print(f"\n{args.readers} readers, {args.jobs} jobs (echo), shared machine")
        a = row("alone", quiet, quiet_wall)
        b = row("with jobs", loaded, loaded_wall)
        print(
            f"ratios with jobs / alone: req/s {b['rps'] / a['rps']:.2f}, "
            f"p50 {b['p50'] / a['p50']:.2f}, p95 {b['p95'] / a['p95']:.2f}"
        )
        names = jobs[len(warm) :]
        runs = []
        for start in range(0, len(names), 200):
            runs += requests.post(
                f"{settings.prefect_api}/flow_runs/filter",
                json={"flow_runs": {"name": {"any_": names[start : start + 200]}}, "limit": 200},
                timeout=60,
            ).json()
        print(
            f"burst: {out['seconds']:.1f} s for {args.jobs} jobs (goal < 60 s), "
            f"refused {out['refused']}, lost {out['lost']}, flow runs {len(runs)} "
            f"({len({r['name'] for r in runs})} distinct)"
        )
    finally:
        stack.stop()
        shutil.rmtree(settings.data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
