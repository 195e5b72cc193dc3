"""``GET /health``: is each part of the stack answering? 200 when all are, 503 otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Blueprint, jsonify
from sqlalchemy import text

from landgrid.db import engine
from landgrid.settings import Settings
from landgrid.web.http import check_params

WORKER_FRESH = timedelta(seconds=60)


def check_database(settings: Settings) -> dict[str, Any]:
    try:
        with engine(settings.db_url()).connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
        return {"status": "ok", "postgis": version}
    except Exception as exc:  # any failure means "down"; the reason is shown
        return {"status": "down", "error": str(exc).splitlines()[0]}


def check_prefect(settings: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """Prefect API health, then whether a worker of our pool polled recently."""
    api = settings.prefect_api
    try:
        requests.get(f"{api}/health", timeout=2).raise_for_status()
    except requests.RequestException as exc:
        down = {"status": "down", "error": str(exc).splitlines()[0]}
        return down, {"status": "unknown", "error": "Prefect API is down"}
    try:
        workers = requests.post(
            f"{api}/work_pools/{settings.work_pool}/workers/filter", json={}, timeout=2
        )
        workers.raise_for_status()
    except requests.RequestException as exc:
        return {"status": "ok"}, {"status": "down", "error": str(exc).splitlines()[0]}
    now = datetime.now(UTC)
    alive = [
        w["name"]
        for w in workers.json()
        if now - datetime.fromisoformat(w["last_heartbeat_time"]) < WORKER_FRESH
    ]
    worker = {"status": "ok" if alive else "down", "workers": alive, "pool": settings.work_pool}
    return {"status": "ok", "url": api}, worker


def health_blueprint(settings: Settings) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/health")
    def health():
        check_params([])
        prefect, worker = check_prefect(settings)
        checks = {"database": check_database(settings), "prefect": prefect, "worker": worker}
        healthy = all(c["status"] == "ok" for c in checks.values())
        body = {"status": "ok" if healthy else "degraded", "checks": checks}
        return jsonify(body), 200 if healthy else 503

    return bp
