"""Every metric Landgrid exports, defined once: the web app, the worker and the reconciler
each serve the ones they update at ``/metrics`` (``deploy/grafana/landgrid.json`` queries
them; a test checks it names nothing else).

Labels are bounded sets (route templates, methods, statuses, process ids, job states,
repair kinds), never a job, request or user id: a label value is a time series.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram

LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
JOB_TIME = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400)

HTTP_REQUESTS = Counter(
    "landgrid_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "landgrid_http_request_duration_seconds",
    "time to answer an HTTP request (until the body starts), by route template and method",
    ["route", "method"],
    buckets=LATENCY,
)
JOB_STATE_TIME = Histogram(
    "landgrid_job_state_duration_seconds",
    "time a job spent in a state (accepted: queued; running: executing), when it left it",
    ["process", "state"],
    buckets=JOB_TIME,
)
JOB_DURATION = Histogram(
    "landgrid_job_duration_seconds",
    "time from a job's submission to its final status",
    ["process", "status"],
    buckets=JOB_TIME,
)
WORKER_SLOTS = Gauge(
    "landgrid_worker_slots", "flow runs this worker may run at once", multiprocess_mode="max"
)
WORKER_BUSY = Gauge(
    "landgrid_worker_slots_busy", "flow runs this worker runs now", multiprocess_mode="max"
)
WORKER_RUNS = Counter(
    "landgrid_worker_flow_runs",
    "flow runs handed to this worker, by outcome (ran, or lost the claim to another worker)",
    ["outcome"],
)
RECONCILER_PASSES = Histogram(
    "landgrid_reconciler_pass_duration_seconds",
    "time of one reconciler pass (repairs, then callbacks)",
    buckets=LATENCY,
)
RECONCILER_ERRORS = Counter(
    "landgrid_reconciler_errors",
    "reconciler passes cut short, by cause (prefect, database)",
    ["cause"],
)
RECONCILER_REPAIRS = Counter(
    "landgrid_reconciler_repairs",
    "jobs the reconciler repaired, by kind of repair",
    ["kind"],
)
CALLBACKS = Counter(
    "landgrid_callbacks",
    "subscriber callbacks POSTed, by outcome (delivered, failed: retried later)",
    ["outcome"],
)
CACHE_LOOKUPS = Counter(
    "landgrid_cache_lookups",
    "tile and map cache lookups, by cache and result (hit, miss)",
    ["cache", "result"],
)

# exported by the reconciler (one per deployment) from the job table at each scrape
JOBS = "landgrid_jobs"
QUEUE_DEPTH = "landgrid_jobs_queue_depth"
OLDEST_QUEUED = "landgrid_jobs_oldest_queued_seconds"


def job_left(process: str, state: str, since: datetime | None, until: datetime | None) -> None:
    """A job of ``process`` left ``state`` (entered at ``since``) at ``until``."""
    if since is not None and until is not None:
        JOB_STATE_TIME.labels(process, state).observe((until - since).total_seconds())


def job_finished(process: str, status: str, created: datetime, finished: datetime) -> None:
    JOB_DURATION.labels(process, status).observe((finished - created).total_seconds())
