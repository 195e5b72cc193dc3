"""gunicorn's configuration for the web app (``gunicorn -c python:landgrid.ops.gunicorn_conf``):
metrics from every worker process in one ``/metrics``, and each worker's logging.

prometheus-client's multiprocess mode keeps each worker's figures in files of one folder,
named by ``PROMETHEUS_MULTIPROC_DIR``. The library picks its mode when first imported, so
the folder is set here, in the master before any worker is forked and before the master
imports prometheus-client itself (a private temporary folder unless the deployment names
one); figures left there by a previous run are removed, and a dead worker's gauges dropped.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def on_starting(server: object) -> None:
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    folder = Path(given or tempfile.mkdtemp(prefix="landgrid-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)  # inherited by the forked workers


def child_exit(server: object, worker: object) -> None:
    from prometheus_client import multiprocess  # only now: see the module's docstring

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def post_worker_init(worker: object) -> None:
    """Each worker's logging: our format, and its job lines into the job log."""
    from landgrid.jobs.logbook import install
    from landgrid.jobs.store import JobStore
    from landgrid.observability.logs import configure
    from landgrid.settings import Settings

    settings = Settings()
    configure(settings.log_format, "web")
    install(JobStore(settings.db_url()), "web")
