"""OGC API - Processes over Prefect, against the real stack: execution modes, job list,
results, dismissal, failures, idempotency and callbacks."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

pytestmark = pytest.mark.services

NOT_READY = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/result-not-ready"
NO_SUCH_JOB = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job"
NO_SUCH_PROCESS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process"


def execute(base_url, process, inputs, prefer=None, **body):
    headers = {"Prefer": prefer} if prefer else {}
    headers.update(body.pop("headers", {}))
    return requests.post(
        f"{base_url}/processes/{process}/execution",
        json={"inputs": inputs, **body},
        headers=headers,
        timeout=60,
    )


def wait_status(base_url, job_id, statuses=("successful", "failed", "dismissed"), timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()
        if job["status"] in statuses:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def flow_runs(settings, job_id):
    return requests.post(
        f"{settings.prefect_api}/flow_runs/filter",
        json={"flow_runs": {"name": {"any_": [job_id]}}},
        timeout=10,
    ).json()


def final_flow_runs(settings, job_id, timeout=60):
    """The job record turns successful as the flow returns; Prefect's Completed follows."""
    deadline = time.monotonic() + timeout
    while True:
        runs = flow_runs(settings, job_id)
        if (
            all(r["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for r in runs)
            or time.monotonic() > deadline
        ):
            return runs
        time.sleep(0.5)


def test_sync_raw_is_the_value_itself(base_url):
    r = execute(base_url, "echo", {"echoInput": "raw me"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text == "raw me"
    assert "Preference-Applied" not in r.headers


def test_sync_job_is_a_flow_run_of_its_deployment(base_url, settings):
    """Sync jobs run in the web process but operators still see them in Prefect: a run of
    the process's deployment, named after the job, tagged, with the job's final state."""
    r = execute(base_url, "echo", {"echoInput": "seen"}, response="document")
    assert r.status_code == 200
    job_id = requests.get(f"{base_url}/jobs?processID=echo&limit=1", timeout=10).json()["jobs"][0][
        "jobID"
    ]
    deadline = time.monotonic() + 60
    while not (runs := final_flow_runs(settings, job_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(runs) == 1, runs
    run = runs[0]
    assert run["state_type"] == "COMPLETED" and run["state"]["message"] == "completed"
    assert set(run["tags"]) >= {"process:echo", "owner:anonymous"}
    assert run["parameters"]["job_id"] == job_id and run["deployment_id"]
    deployment = requests.get(
        f"{settings.prefect_api}/deployments/{run['deployment_id']}", timeout=10
    ).json()
    assert deployment["name"] == "echo"
    job = requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()
    assert job["status"] == "successful"


def test_failed_sync_job_is_a_failed_flow_run(base_url, settings):
    r = execute(base_url, "sleep", {"seconds": 0, "fail": True})
    assert r.status_code >= 400
    job_id = requests.get(f"{base_url}/jobs?processID=sleep&limit=1", timeout=10).json()["jobs"][0][
        "jobID"
    ]
    deadline = time.monotonic() + 60
    while not (runs := final_flow_runs(settings, job_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [run["state_type"] for run in runs] == ["FAILED"]
    assert "failed" in runs[0]["state"]["message"]


def test_sync_document(base_url):
    r = execute(base_url, "echo", {"echoInput": "doc"}, response="document")
    assert r.status_code == 200
    assert r.json() == {"echoOutput": "doc"}


def test_prefer_wait_is_applied(base_url):
    r = execute(base_url, "echo", {"echoInput": "w"}, prefer="wait=20")
    assert r.status_code == 200
    assert r.headers["Preference-Applied"] == "wait=20"


def test_sync_beyond_its_wait_becomes_async(base_url):
    r = execute(base_url, "sleep", {"seconds": 4, "steps": 4}, prefer="wait=1")
    assert r.status_code == 201, r.text
    assert "Preference-Applied" not in r.headers
    job = wait_status(base_url, r.json()["jobID"])
    assert job["status"] == "successful"


def test_async_job_progress_and_results(base_url, settings):
    r = execute(base_url, "sleep", {"seconds": 3, "steps": 3}, prefer="respond-async")
    assert r.status_code == 201
    assert r.headers["Preference-Applied"] == "respond-async"
    job_id = r.json()["jobID"]
    assert r.headers["Location"] == f"{base_url}/jobs/{job_id}"
    not_ready = requests.get(f"{base_url}/jobs/{job_id}/results", timeout=10)
    assert not_ready.status_code == 404
    assert not_ready.json()["type"] == NOT_READY
    running = wait_status(base_url, job_id, ("running",))
    assert running.get("started")
    job = wait_status(base_url, job_id)
    assert job["status"] == "successful" and job["progress"] == 100
    assert any(link["rel"].endswith("/results") for link in job["links"])
    result = requests.get(f"{base_url}/jobs/{job_id}/results", timeout=10)
    assert result.status_code == 200
    assert "multipart/related" in result.headers["Content-Type"]  # two outputs, raw
    runs = final_flow_runs(settings, job_id)
    assert len(runs) == 1 and runs[0]["state_type"] == "COMPLETED"
    assert set(runs[0]["tags"]) >= {"process:sleep", "owner:anonymous"}


def test_output_selection_and_reference(base_url):
    r = execute(
        base_url,
        "echo",
        {"echoInput": "by reference"},
        response="document",
        outputs={"echoOutput": {"transmissionMode": "reference"}},
    )
    assert r.status_code == 200
    href = r.json()["echoOutput"]["href"]
    assert requests.get(href, timeout=10).text == "by reference"
    r = execute(
        base_url, "sleep", {"seconds": 0, "steps": 1}, response="document", outputs={"steps": {}}
    )
    assert r.json() == {"steps": 1}


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"inputs": {"echoInput": 5}}, 400, "echoInput"),
        ({"inputs": {}}, 400, "echoInput"),
        ({"inputs": {"echoInput": "x", "bogus": 1}}, 400, "bogus"),
        ({"inputs": {"echoInput": "x", "pause": -1}}, 400, "pause"),
        ({"inputs": {"echoInput": "x"}, "response": "weird"}, 400, "response"),
        ({"inputs": {"echoInput": "x"}, "outputs": {"nope": {}}}, 400, "nope"),
        (
            {"inputs": {"echoInput": "x"}, "subscriber": {"successUri": "ftp://x"}},
            400,
            "successUri",
        ),
        ({"inputs": ["echoInput"]}, 400, "inputs"),
    ],
)
def test_invalid_requests_are_rejected_before_recording(base_url, body, status, needle):
    before = requests.get(f"{base_url}/jobs", params={"limit": 1000}, timeout=10).json()
    r = requests.post(f"{base_url}/processes/echo/execution", json=body, timeout=30)
    assert r.status_code == status, r.text
    assert needle in r.json()["detail"]
    after = requests.get(f"{base_url}/jobs", params={"limit": 1000}, timeout=10).json()
    assert len(after["jobs"]) == len(before["jobs"])


def test_malformed_json_and_unknown_process(base_url):
    r = requests.post(
        f"{base_url}/processes/echo/execution",
        data=b"{nope",
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["type"] == "InvalidParameterValue"
    r = execute(base_url, "no-such", {})
    assert r.status_code == 404 and r.json()["type"] == NO_SUCH_PROCESS
    r = requests.get(f"{base_url}/jobs/not-a-job", timeout=10)
    assert r.status_code == 404 and r.json()["type"] == NO_SUCH_JOB


def test_idempotency_key_returns_the_same_job(base_url, settings):
    headers = {"Idempotency-Key": "retry-me-123"}
    first = execute(
        base_url, "echo", {"echoInput": "once"}, prefer="respond-async", headers=headers
    )
    second = execute(
        base_url, "echo", {"echoInput": "once"}, prefer="respond-async", headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["jobID"] == second.json()["jobID"]
    wait_status(base_url, first.json()["jobID"])
    assert len(flow_runs(settings, first.json()["jobID"])) == 1


def test_failure_carries_the_reason(base_url):
    r = execute(base_url, "sleep", {"seconds": 0, "steps": 1, "fail": True}, prefer="respond-async")
    job = wait_status(base_url, r.json()["jobID"])
    assert job["status"] == "failed"
    assert "asked to fail" in job["message"]
    result = requests.get(f"{base_url}/jobs/{job['jobID']}/results", timeout=10)
    assert result.status_code == 500
    assert "asked to fail" in result.json()["detail"]


def test_dismiss_cancels_the_prefect_run(base_url, settings):
    r = execute(base_url, "sleep", {"seconds": 60, "steps": 60}, prefer="respond-async")
    job_id = r.json()["jobID"]
    wait_status(base_url, job_id, ("running",))
    d = requests.delete(f"{base_url}/jobs/{job_id}", timeout=30)
    assert d.status_code == 200 and d.json()["status"] == "dismissed"
    assert requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()["status"] == "dismissed"
    results = requests.get(f"{base_url}/jobs/{job_id}/results", timeout=10)
    assert results.status_code == 404 and results.json()["type"] == NO_SUCH_JOB
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = flow_runs(settings, job_id)[0]["state_type"]
        if state == "CANCELLED":
            break
        time.sleep(1)
    assert state == "CANCELLED"
    again = requests.delete(f"{base_url}/jobs/{job_id}", timeout=10)
    assert again.status_code == 404


def test_job_list_filters_and_paging(base_url):
    for text in ("a", "b", "c"):
        assert execute(base_url, "echo", {"echoInput": text}).status_code == 200
    page = requests.get(
        f"{base_url}/jobs",
        params={"limit": 2, "processID": "echo", "status": "successful"},
        timeout=10,
    ).json()
    assert len(page["jobs"]) == 2
    assert all(j["processID"] == "echo" and j["status"] == "successful" for j in page["jobs"])
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    page2 = requests.get(nxt, timeout=10).json()
    first_ids = {j["jobID"] for j in page["jobs"]}
    assert page2["jobs"] and not first_ids & {j["jobID"] for j in page2["jobs"]}
    assert (
        requests.get(
            f"{base_url}/jobs", params={"type": "process", "minDuration": 0}, timeout=10
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": "unlimited"},
        {"limit": 100000},
        {"status": "done"},
        {"type": "workflow"},
        {"datetime": "yesterday"},
        {"minDuration": -1},
        {"cursor": "junk"},
    ],
)
def test_job_list_bad_parameters(base_url, params):
    r = requests.get(f"{base_url}/jobs", params=params, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "InvalidParameterValue"


class _Inbox(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        _Inbox.received.append((self.path, json.loads(self.rfile.read(length) or b"null")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_callbacks_are_delivered(base_url):
    server = HTTPServer(("127.0.0.1", 0), _Inbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        r = execute(
            base_url,
            "echo",
            {"echoInput": "call me"},
            prefer="respond-async",
            subscriber={
                "successUri": f"http://127.0.0.1:{port}/ok",
                "inProgressUri": f"http://127.0.0.1:{port}/running",
                "failedUri": f"http://127.0.0.1:{port}/failed",
            },
        )
        wait_status(base_url, r.json()["jobID"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(p == "/ok" for p, _ in _Inbox.received):
            time.sleep(0.5)
        assert ("/ok", {"echoOutput": "call me"}) in _Inbox.received
    finally:
        server.shutdown()


def test_job_pages_in_html(base_url):
    """The html class: every job resource also as a page, by ``f=html`` or by ``Accept``."""
    r = execute(base_url, "echo", {"echoInput": "<b>escaped</b>"}, response="document")
    job_id = requests.get(f"{base_url}/jobs?processID=echo&limit=1", timeout=10).json()["jobs"][0][
        "jobID"
    ]
    assert r.status_code == 200
    listing = requests.get(f"{base_url}/jobs", headers={"Accept": "text/html"}, timeout=10)
    assert listing.status_code == 200 and listing.headers["Content-Type"].startswith("text/html")
    assert f"/jobs/{job_id}" in listing.text
    page = requests.get(f"{base_url}/jobs/{job_id}?f=html", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "successful" in page.text and f"/jobs/{job_id}/results" in page.text
    results = requests.get(f"{base_url}/jobs/{job_id}/results?f=html", timeout=10)
    assert results.headers["Content-Type"].startswith("text/html")
    assert "escaped" in results.text and "<b>escaped</b>" not in results.text
    as_json = requests.get(f"{base_url}/jobs/{job_id}", timeout=10).json()
    assert {"rel": "alternate", "type": "text/html"}.items() <= next(
        link for link in as_json["links"] if link["rel"] == "alternate"
    ).items()
    bad = requests.get(f"{base_url}/jobs?f=xml", timeout=10)
    assert bad.status_code == 400 and "f:" in bad.json()["detail"]


def test_openapi_describes_the_job_endpoints(base_url):
    """The oas30 class: the document describes the job endpoints as served."""
    document = requests.get(f"{base_url}/openapi?f=json", timeout=30).json()
    jobs = document["paths"]["/jobs"]["get"]
    names = {p["name"]: p for p in jobs["parameters"]}
    assert set(names) >= {
        "type", "processID", "status", "datetime", "minDuration", "maxDuration", "limit", "f"
    }  # fmt: skip
    assert (names["limit"]["schema"]["minimum"], names["limit"]["schema"]["maximum"]) == (1, 1000)
    assert "200" in document["paths"]["/jobs/{jobId}"]["delete"]["responses"]
    assert "/jobs/{jobId}/results/{outputId}" in document["paths"]
    execution = document["paths"]["/processes/echo/execution"]["post"]
    assert {p["name"] for p in execution["parameters"]} == {"Prefer", "Idempotency-Key"}
    assert "400" in execution["responses"]
    # and what it says holds: the limit bounds are enforced, DELETE answers 200
    assert requests.get(f"{base_url}/jobs?limit=1001", timeout=10).status_code == 400
    r = execute(base_url, "sleep", {"seconds": 5}, prefer="respond-async")
    dismissed = requests.delete(f"{base_url}/jobs/{r.json()['jobID']}", timeout=30)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"


def test_openapi_execution_responses_are_openapi_30_schemas(base_url):
    document = requests.get(f"{base_url}/openapi?f=json", timeout=30).json()
    text = json.dumps({k: v for k, v in document["paths"].items() if k.endswith("/execution")})
    assert "contentEncoding" not in text and "contentMediaType" not in text
    assert '"format": "binary"' in text  # the COG / GeoPackage outputs
