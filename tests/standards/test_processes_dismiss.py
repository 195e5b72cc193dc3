"""OGC API - Processes Part 1, ``.../conf/dismiss``: DELETE on a job answers its status,
``dismissed`` (statusInfo.yaml); the job's results are gone (no-such-job)."""

from __future__ import annotations

import pytest

from tests.schemas import validate
from tests.standards.helpers import EXCEPTIONS, OGC, PROCESSES
from tests.standards.processes import execute, wait

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/dismiss"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_dismiss_running_and_finished_jobs(api, http):
    """/req/dismiss/job-dismiss-op, job-dismiss-success."""
    running = execute(http, api, "sleep", {"seconds": 60, "steps": 60}, prefer="respond-async")
    job_id = running.json()["jobID"]
    wait(http, api, job_id, ("running",))
    r = http.delete(f"{api}/jobs/{job_id}", timeout=60)
    assert r.status_code == 200
    validate(r.json(), PROCESSES + "statusInfo.yaml")
    assert r.json()["status"] == "dismissed"
    results = http.get(f"{api}/jobs/{job_id}/results", timeout=30)
    assert results.status_code == 404 and results.json()["type"] == EXCEPTIONS + "no-such-job"
    finished = execute(http, api, "echo", {"echoInput": "x"})
    done_id = finished.headers["Link"].split(">")[0].rsplit("/", 1)[1]
    assert http.delete(f"{api}/jobs/{done_id}", timeout=60).json()["status"] == "dismissed"
    assert http.delete(f"{api}/jobs/{done_id}", timeout=60).status_code == 404
