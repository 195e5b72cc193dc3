"""OGC API - Processes Part 1, ``.../ogcapi-processes-1/1.0/conf/core``: the landing page,
the process list (``limit`` and its paging), descriptions, execution in both modes with
raw and document responses, job status and results, and every exception the standard
types (``no-such-process``, ``no-such-job``, ``result-not-ready``, a failed job's own)."""

from __future__ import annotations

import pytest

from tests.schemas import validate
from tests.standards.helpers import EXCEPTIONS, OGC, PROCESSES, REL, link
from tests.standards.processes import execute, wait

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/core"
RESPONSES = "schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/responses/"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_landing_page(api, http):
    """/req/core/landingpage-success: the API definition, conformance, processes."""
    body = http.get(f"{api}/", timeout=30).json()
    validate(body, PROCESSES + "landingPage.yaml")
    assert link(body, f"{REL}conformance")["href"] == f"{api}/conformance"
    assert link(body, f"{REL}processes")["href"] == f"{api}/processes"
    assert link(body, "service-desc")


def test_process_list_and_limit(api, http):
    """/req/core/process-list-success, pl-limit-definition, pl-limit-response, pl-links:
    ``limit=1`` is one process and a next link, which pages through all of them."""
    whole = http.get(f"{api}/processes", timeout=30).json()
    validate(whole, RESPONSES + "ProcessList.yaml#/content/application~1json/schema")
    assert {"self", "alternate"} <= {x["rel"] for x in whole["links"]}
    ids, url = [], f"{api}/processes?limit=1"
    while url:
        page = http.get(url, timeout=30).json()
        assert len(page["processes"]) == 1
        ids += [p["id"] for p in page["processes"]]
        url = next((x["href"] for x in page["links"] if x["rel"] == "next"), None)
    assert ids == [p["id"] for p in whole["processes"]] and "echo" in ids
    for bad in ("0", "1001", "x"):
        assert http.get(f"{api}/processes", params={"limit": bad}).status_code == 400


def test_descriptions(api, http):
    """/req/core/process-description-op, process-success, test-process (echo)."""
    for summary in http.get(f"{api}/processes", timeout=30).json()["processes"]:
        r = http.get(f"{api}/processes/{summary['id']}", timeout=30)
        assert r.status_code == 200
        validate(r.json(), PROCESSES + "process.yaml")
        assert link(r.json(), f"{REL}execute")["href"].endswith("/execution")


def test_exception_types(api, http):
    """/req/core/process-exception/no-such-process, job-exception-no-such-job,
    job-results-exception/no-such-job: 404 with the standard's exception types."""
    for url, kind in (
        (f"{api}/processes/no-such-process", "no-such-process"),
        (f"{api}/processes/no-such-process/execution", "no-such-process"),
        (f"{api}/jobs/no-such-job", "no-such-job"),
        (f"{api}/jobs/no-such-job/results", "no-such-job"),
    ):
        r = (http.post if url.endswith("/execution") else http.get)(url, json={}, timeout=30)
        assert r.status_code == 404, url
        validate(r.json(), PROCESSES + "exception.yaml")
        assert r.json()["type"] == EXCEPTIONS + kind, url


def test_sync_by_default_raw_and_document(api, http):
    """/req/core/process-execute-default-execution-mode (both allowed: sync),
    job-results-success-sync (a Link to the job, rel=monitor), the raw value itself, and
    the results document."""
    raw = execute(http, api, "echo", {"echoInput": "hello"})
    assert raw.status_code == 200 and raw.text == "hello"
    assert 'rel="monitor"' in raw.headers["Link"]
    monitor = raw.headers["Link"].split(">")[0].lstrip("<")
    job = http.get(monitor, timeout=30).json()
    validate(job, PROCESSES + "statusInfo.yaml")
    assert job["status"] == "successful" and job["processID"] == "echo"
    doc = execute(http, api, "echo", {"echoInput": "hello"}, response="document")
    assert doc.status_code == 200 and doc.json() == {"echoOutput": "hello"}


def test_async_status_and_results(api, http):
    """/req/core/process-execute-auto-execution-mode, process-execute-success-async
    (201, Location, statusInfo), job-op, job-success, job-results-op,
    job-results-exception/results-not-ready, job-results-success-async-document."""
    r = execute(
        http, api, "sleep", {"seconds": 3, "steps": 3}, prefer="respond-async", response="document"
    )
    assert r.status_code == 201 and r.headers["Preference-Applied"] == "respond-async"
    validate(r.json(), PROCESSES + "statusInfo.yaml")
    location = r.headers["Location"]
    status = http.get(location, timeout=30)
    assert status.status_code == 200 and status.json()["status"] in ("accepted", "running")
    early = http.get(f"{location}/results", timeout=30)
    assert early.status_code == 404 and early.json()["type"] == EXCEPTIONS + "result-not-ready"
    done = wait(http, api, r.json()["jobID"])
    assert done["status"] == "successful"
    assert link(done, f"{REL}results")
    results = http.get(f"{location}/results", timeout=30)
    assert results.status_code == 200 and results.json()["steps"] == 3
    assert results.json()["slept"] >= 3


def test_failed_job_results_are_its_exception(api, http):
    """/req/core/job-results-failed."""
    r = execute(
        http, api, "sleep", {"seconds": 0, "steps": 1, "fail": True}, prefer="respond-async"
    )
    job = wait(http, api, r.json()["jobID"])
    assert job["status"] == "failed"
    results = http.get(f"{api}/jobs/{job['jobID']}/results", timeout=30)
    assert results.status_code >= 400
    body = results.json()
    validate(body, PROCESSES + "exception.yaml")
    assert body["type"] != EXCEPTIONS + "result-not-ready" and "asked to fail" in body["detail"]


def test_invalid_inputs_are_400(api, http):
    """/req/core/process-execute-input-validation."""
    r = execute(http, api, "echo", {"echoInput": 42})
    assert r.status_code == 400 and "echoInput" in r.json()["detail"]
    missing = execute(http, api, "sleep", {})
    assert missing.status_code == 400
