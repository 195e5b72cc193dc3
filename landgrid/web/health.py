"""``GET /health``: is each part of the stack answering? 200 when all are, 503 otherwise.

Parts: the database, the Prefect API, a worker polling our pool, the reconciler. Our worker
and reconciler beat in the ``services`` table (``heartbeat_interval``, and every pass); the
stack removes a process's row as soon as it sees it exit, so a crashed part shows here while
it is being restarted. Workers of other kinds (a stock ``prefect worker``) count through
their Prefect heartbeats.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Blueprint, jsonify
from sqlalchemy import text

from landgrid.db import engine
from landgrid.jobs.store import JobStore
from landgrid.settings import Settings
from landgrid.web.http import check_params

PREFECT_WORKER_FRESH = timedelta(seconds=30)  # three of a Prefect worker's heartbeats
OUR_WORKERS = "landgrid-"  # name prefix of our warm workers in Prefect (``flows.worker``)
RETRY_AFTER = "5"


def check_database(settings: Settings) -> dict[str, Any]:
    try:
        with engine(settings.db_url()).connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
        return {"status": "ok", "postgis": version}
    except Exception as exc:  # any failure means "down"; the reason is shown
        return {"status": "down", "error": str(exc).splitlines()[0]}


def check_prefect(settings: Settings) -> tuple[dict[str, Any], list[str]]:
    """Prefect API health, and the other (non-Landgrid) workers of our pool that polled
    recently."""
    api = settings.prefect_api
    try:
        requests.get(f"{api}/health", timeout=2).raise_for_status()
        workers = requests.post(
            f"{api}/work_pools/{settings.work_pool}/workers/filter", json={}, timeout=2
        )
        workers.raise_for_status()
    except requests.RequestException as exc:
        return {"status": "down", "error": str(exc).splitlines()[0]}, []
    moment = datetime.now(UTC)
    others = [
        w["name"]
        for w in workers.json()
        if not w["name"].startswith(OUR_WORKERS)
        and moment - datetime.fromisoformat(w["last_heartbeat_time"]) < PREFECT_WORKER_FRESH
    ]
    return {"status": "ok", "url": api}, others


def check_services(settings: Settings) -> dict[str, dict[str, Any]]:
    """Our workers and reconcilers that beat recently."""
    fresh = {
        "worker": timedelta(seconds=settings.heartbeat_timeout),
        "reconciler": timedelta(
            seconds=2 * (settings.reconcile_budget + settings.reconcile_interval)
        ),
    }
    store = JobStore(settings.db_url())
    checks = {}
    for name, within in fresh.items():
        try:
            alive = [s.runner for s in store.services(name, datetime.now(UTC) - within)]
        except Exception as exc:  # the database is down: unknown, reported as such
            checks[name] = {"status": "unknown", "error": str(exc).splitlines()[0]}
            continue
        status = "ok" if alive else "down"
        checks[name] = {"status": status, "processes": alive}
        if not alive:
            checks[name]["error"] = f"no {name} beat in the last {within.total_seconds():.0f} s"
    return checks


def health_blueprint(settings: Settings) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/health")
    def health():
        check_params([])
        prefect, other_workers = check_prefect(settings)
        checks = {"database": check_database(settings), "prefect": prefect}
        checks |= check_services(settings)
        if other_workers:
            worker = checks["worker"]
            worker["others"] = other_workers
            if worker["status"] != "ok":
                checks["worker"] = {"status": "ok", "processes": [], "others": other_workers}
        checks["worker"]["pool"] = settings.work_pool
        healthy = all(c["status"] == "ok" for c in checks.values())
        body = {"status": "ok" if healthy else "degraded", "checks": checks}
        if healthy:
            return jsonify(body), 200
        return jsonify(body), 503, {"Retry-After": RETRY_AFTER}

    return bp
