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
