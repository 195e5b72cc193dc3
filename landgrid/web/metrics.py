"""``GET /metrics`` of the web app, and the request metrics behind it.

Each request is counted by its route template (``/collections/<collection_id>/items``,
not the path: ids never become labels), method and status, and timed. Under gunicorn the
workers are separate processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (our gunicorn
config sets it, ``landgrid.ops.gunicorn_conf``) the answer adds up every worker's figures.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from landgrid.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS
from landgrid.web.http import check_params

UNMATCHED = "<unmatched>"  # a path no route serves (404), as one label value


def registry() -> CollectorRegistry:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    combined = CollectorRegistry()
    MultiProcessCollector(combined, path=directory)
    return combined


def install_metrics(app: Flask) -> None:
    exported = registry()

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else UNMATCHED
        HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        check_params([])
        return Response(generate_latest(exported), content_type=CONTENT_TYPE_LATEST)
