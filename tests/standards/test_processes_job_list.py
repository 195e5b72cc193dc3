"""OGC API - Processes Part 1, ``.../conf/job-list``: ``/jobs`` (jobList.yaml, links), each
filter declared and applied (``type``, ``processID``, ``status``, ``datetime``,
``minDuration``, ``maxDuration``, ``limit`` with next links), ``processID`` in every
status; bad values 400."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.schemas import validate
from tests.standards.helpers import OGC, PROCESSES, parameters
from tests.standards.processes import execute, wait

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/job-list"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.fixture(scope="module")
def jobs(api, http) -> dict[str, str]:
    """An echo job and a two-second sleep job, both finished."""
    echo = execute(http, api, "echo", {"echoInput": "listed"})
    sleep = execute(http, api, "sleep", {"seconds": 2, "steps": 2}, prefer="respond-async")
    wait(http, api, sleep.json()["jobID"])
    return {
        "echo": echo.headers["Link"].split(">")[0].rsplit("/", 1)[1],
        "sleep": sleep.json()["jobID"],
    }


def listed(http, api, **params) -> list[dict]:
    r = http.get(f"{api}/jobs", params={"limit": 1000, **params}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["jobs"]


def test_job_list(api, http, jobs):
    """/req/job-list/job-list-op, job-list-success, links, processID-mandatory."""
    r = http.get(f"{api}/jobs", timeout=30)
    body = r.json()
    validate(body, PROCESSES + "jobList.yaml")
    assert {"self", "alternate"} <= {x["rel"] for x in body["links"]}
    assert all(j["processID"] for j in listed(http, api))


def test_parameters_declared(oas):
    """type-definition, processID-definition, status-definition, datetime-definition,
    duration-definition, limit-definition."""
    declared = parameters(oas, oas["paths"]["/jobs"]["get"])
    assert declared["limit"]["schema"]["minimum"] == 1
    for name in ("type", "processID", "status", "datetime", "minDuration", "maxDuration"):
        assert name in declared


def test_filters(api, http, jobs):
    """type-response, processid-response, status-response, datetime-response,
    duration-response."""
    ids = lambda **params: {j["jobID"] for j in listed(http, api, **params)}  # noqa: E731
    assert jobs["echo"] in ids(type="process")
    assert jobs["echo"] in ids(processID="echo") and jobs["sleep"] not in ids(processID="echo")
    assert {jobs["echo"], jobs["sleep"]} <= ids(processID="echo,sleep")
    assert jobs["sleep"] in ids(status="successful") and jobs["sleep"] not in ids(status="failed")
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT00:00:00Z")
    assert jobs["sleep"] in ids(datetime=f"{today}/..")
    assert jobs["sleep"] not in ids(datetime="../2000-01-01T00:00:00Z")
    assert jobs["sleep"] in ids(minDuration=1) and jobs["echo"] not in ids(minDuration=1)
    assert jobs["echo"] in ids(maxDuration=1)


def test_limit_and_paging(api, http, jobs):
    """limit-response: no more than ``limit``, next links to the rest."""
    page = http.get(f"{api}/jobs", params={"limit": 1}, timeout=30).json()
    assert len(page["jobs"]) == 1
    following = next(x for x in page["links"] if x["rel"] == "next")
    second = http.get(following["href"], timeout=30).json()
    assert second["jobs"][0]["jobID"] != page["jobs"][0]["jobID"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"status": "done"},
        {"type": "workflow"},
        {"datetime": "x"},
        {"minDuration": -1},
    ],
)
def test_bad_values_are_400(api, http, params):
    assert http.get(f"{api}/jobs", params=params, timeout=30).status_code == 400
