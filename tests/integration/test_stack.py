"""End to end: the embedded stack serves OGC API landing, collections and Prefect-run jobs."""

from __future__ import annotations

import time

import pytest
import requests

from tests.processes.test_jobs import final_flow_runs

pytestmark = pytest.mark.services


def wait_job(base_url: str, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{base_url}/jobs/{job_id}", params={"f": "json"}, timeout=10)
        status.raise_for_status()
        body = status.json()
        if body["status"] in ("successful", "failed", "dismissed"):
            return body
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not finished after {timeout} s: {body}")


def test_landing_page_links(base_url):
    r = requests.get(f"{base_url}/", params={"f": "json"}, timeout=10)
    assert r.status_code == 200
    rels = {link["rel"]: link for link in r.json()["links"]}
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert "conformance" in rels
    assert "data" in rels


def test_openapi_and_conformance(base_url):
    r = requests.get(f"{base_url}/openapi", params={"f": "json"}, timeout=30)
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.0")
    conformance = requests.get(f"{base_url}/conformance", params={"f": "json"}, timeout=10)
    classes = conformance.json()["conformsTo"]
    spec = "http://www.opengis.net/spec"
    for held in (
        "ogcapi-processes-1/1.0/conf/job-list",
        "ogcapi-processes-1/1.0/conf/dismiss",
        "ogcapi-features-3/1.0/conf/filter",
        "cql2/1.0/conf/cql2-json",
        "ogcapi-coverages-1/1.0/conf/scaling-spatial",
    ):
        assert f"{spec}/{held}" in classes
    assert f"{spec}/ogcapi-coverages-1/1.0/conf/html" in classes  # the coverage's page
    assert f"{spec}/ogcapi-coverages-1/1.0/conf/subsetting" not in classes  # pre-rc2 name
    html = requests.get(f"{base_url}/conformance", params={"f": "html"}, timeout=10)
    assert html.headers["Content-Type"].startswith("text/html")


def test_health_reports_every_part(base_url):
    r = requests.get(f"{base_url}/health", timeout=10)
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["prefect"]["status"] == "ok"
    assert checks["worker"]["status"] == "ok"


def test_processes_list_echo(base_url):
    r = requests.get(f"{base_url}/processes", params={"f": "json"}, timeout=10)
    assert r.status_code == 200
    assert "echo" in {p["id"] for p in r.json()["processes"]}


def test_async_echo_runs_on_the_prefect_worker(base_url, settings):
    r = requests.post(
        f"{base_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "through Prefect"}},
        headers={"Prefer": "respond-async"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    assert r.headers["Preference-Applied"] == "respond-async"
    job_id = r.json()["jobID"]
    assert r.headers["Location"].endswith(f"/jobs/{job_id}")

    job = wait_job(base_url, job_id)
    assert job["status"] == "successful", job
    assert job["progress"] == 100

    result = requests.get(f"{base_url}/jobs/{job_id}/results", timeout=10)
    assert result.status_code == 200
    assert result.text == "through Prefect"

    runs = final_flow_runs(settings, job_id)
    assert len(runs) == 1, "one flow run per job, named after the job id"
    assert runs[0]["state_type"] == "COMPLETED"
    assert "process:echo" in runs[0]["tags"]
    assert runs[0]["parameters"]["job_id"] == job_id


def test_sync_echo_answers_directly_and_is_recorded(base_url, settings):
    r = requests.post(
        f"{base_url}/processes/echo/execution", json={"inputs": {"echoInput": "now"}}, timeout=60
    )
    assert r.status_code == 200, r.text
    assert r.text == "now"
    jobs = requests.get(f"{base_url}/jobs", params={"f": "json", "limit": 50}, timeout=10).json()
    assert any(j["processID"] == "echo" and j["status"] == "successful" for j in jobs["jobs"])
