"""Metrics and correlated logs of the running stack: ``/metrics`` of the web app (gunicorn's
workers added up), the worker and the reconciler, read with Prometheus' text parser; the
Grafana dashboard against what they export; one job's log lines from the web app, the
worker and the reconciler, and its id in the Prefect run's logs."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.test_metrics import dashboard_metrics, sample_names

pytestmark = pytest.mark.services


def scrape(url: str) -> dict:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def value(families: dict, family: str, sample: str, **labels: str) -> float:
    found = families.get(family)
    return sum(
        s.value
        for s in (found.samples if found else [])
        if s.name == sample and labels.items() <= s.labels.items()
    )


def endpoints(settings) -> dict[str, str]:
    return {
        "web": f"{settings.url}/metrics",
        "worker": f"http://127.0.0.1:{settings.worker_metrics_port}/metrics",
        "reconciler": f"http://127.0.0.1:{settings.reconciler_metrics_port}/metrics",
    }


def run_job(base_url: str, prefer: str | None = None, **body) -> dict:
    headers = {"Prefer": prefer} if prefer else {}
    r = requests.post(
        f"{base_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "observed"}, "response": "document", **body},
        headers=headers,
        timeout=60,
    )
    assert r.status_code in (200, 201), r.text
    job_id = r.headers.get("Location", "").rsplit("/", 1)[-1] or r.json().get("jobID")
    if not job_id:  # a sync answer is the results document: find the job
        job_id = requests.get(f"{base_url}/jobs?limit=1", timeout=10).json()["jobs"][0]["jobID"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()
        if job["status"] in ("successful", "failed", "dismissed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def wait_for(check, timeout: float = 30, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)


def test_web_metrics_add_up_every_gunicorn_worker(stack, base_url) -> None:
    route = {"route": "/conformance", "method": "GET", "status": "200"}
    before = value(
        scrape(f"{base_url}/metrics"),
        "landgrid_http_requests",
        "landgrid_http_requests_total",
        **route,
    )
    for _ in range(40):  # spread over the gunicorn workers (settings.web_workers = 2)
        assert requests.get(f"{base_url}/conformance", timeout=10).ok
    after = value(
        scrape(f"{base_url}/metrics"),
        "landgrid_http_requests",
        "landgrid_http_requests_total",
        **route,
    )
    assert after - before == 40


def test_jobs_show_in_the_metrics_of_each_service(stack, settings, base_url) -> None:
    assert run_job(base_url, "respond-async")["status"] == "successful"
    assert run_job(base_url)["status"] == "successful"  # sync: in the web process
    urls = endpoints(settings)
    worker = scrape(urls["worker"])
    assert (
        value(worker, "landgrid_worker_slots", "landgrid_worker_slots") == settings.worker_threads
    )
    assert (
        value(worker, "landgrid_worker_flow_runs", "landgrid_worker_flow_runs_total", outcome="ran")
        >= 1
    )
    duration = ("landgrid_job_duration_seconds", "landgrid_job_duration_seconds_count")
    done = {"process": "echo", "status": "successful"}
    assert value(worker, *duration, **done) >= 1  # the async job, finished by the flow
    assert value(scrape(urls["web"]), *duration, **done) >= 1  # the sync job
    queued = ("landgrid_job_state_duration_seconds", "landgrid_job_state_duration_seconds_count")
    assert value(worker, *queued, process="echo", state="accepted") >= 1
    reconciler = scrape(urls["reconciler"])
    assert value(reconciler, "landgrid_jobs", "landgrid_jobs", **done) >= 2
    assert "landgrid_jobs_queue_depth" in reconciler
    assert (
        value(
            reconciler,
            "landgrid_reconciler_pass_duration_seconds",
            "landgrid_reconciler_pass_duration_seconds_count",
        )
        >= 1
    )


def test_every_dashboard_query_names_a_metric_the_services_export(stack, settings) -> None:
    exported: set[str] = set()
    for url in endpoints(settings).values():
        exported |= sample_names(scrape(url).values())
    named = dashboard_metrics()
    assert named <= exported, sorted(named - exported)


class Callbacks(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        Callbacks.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_a_jobs_log_lines_come_from_every_service_with_its_id(stack, settings, base_url) -> None:
    server = HTTPServer(("127.0.0.1", 0), Callbacks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{server.server_port}/done"
        job = run_job(base_url, "respond-async", subscriber={"successUri": hook})
        job_id = job["jobID"]
        assert {"rel": "logs", "href": f"{base_url}/jobs/{job_id}/logs"}.items() <= next(
            link for link in job["links"] if link["rel"] == "logs"
        ).items()

        def lines() -> list[dict]:
            body = requests.get(f"{base_url}/jobs/{job_id}/logs", timeout=10).json()
            found = body["lines"]
            return found if {"web", "worker", "reconciler"} <= {x["service"] for x in found} else []

        found = wait_for(lines)  # the reconciler delivers the callback within a pass or two
    finally:
        server.shutdown()
    assert found, "the job's log lacks the web app's, the worker's or the reconciler's lines"
    messages = " | ".join(f"{x['service']}: {x['message']}" for x in found)
    assert all(job_id in x["message"] for x in found), messages
    for expected in ("accepted", "queued in Prefect", "claimed by", "successful", "delivered"):
        assert expected in messages, messages
    page = requests.get(f"{base_url}/jobs/{job_id}?f=html", timeout=10).text
    assert f"/jobs/{job_id}/logs" in page and "claimed by" in page
    logs = settings.data_dir / "logs"
    for service in ("web", "worker", "reconciler"):
        text = (logs / f"{service}.log").read_text(errors="replace")
        assert f"job_id={job_id}" in text, f"{service}.log has no line with the job id"
    run = job_flow_run(settings, job_id)
    prefect_lines = requests.post(
        f"{settings.prefect_api}/logs/filter",
        json={"logs": {"flow_run_id": {"any_": [run]}}},
        timeout=10,
    ).json()
    assert any(job_id in line["message"] for line in prefect_lines), prefect_lines


def job_flow_run(settings, job_id: str) -> str:
    runs = requests.post(
        f"{settings.prefect_api}/flow_runs/filter",
        json={"flow_runs": {"name": {"any_": [job_id]}}},
        timeout=10,
    ).json()
    assert len(runs) == 1
    return runs[0]["id"]


def test_unknown_jobs_have_no_log(stack, base_url) -> None:
    r = requests.get(f"{base_url}/jobs/00000000-0000-0000-0000-000000000000/logs", timeout=10)
    assert r.status_code == 404
