"""OGC API - Processes Part 1, ``.../conf/oas30``: the API definition describes each
process's description and execution (its inputs' own schemas as the request body, the
sync, async and raw answers) and the job endpoints as served."""

from __future__ import annotations

import pytest

from tests.standards.helpers import OGC, parameters

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-processes-1/1.0/conf/oas30"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_processes_and_their_execution(api, http, oas):
    for summary in http.get(f"{api}/processes", timeout=30).json()["processes"]:
        pid = summary["id"]
        assert "200" in oas["paths"][f"/processes/{pid}"]["get"]["responses"]
        execution = oas["paths"][f"/processes/{pid}/execution"]["post"]
        assert {"200", "201", "400", "500"} <= set(execution["responses"])
        body = execution["requestBody"]["content"]["application/json"]["schema"]
        description = http.get(f"{api}/processes/{pid}", timeout=30).json()
        assert set(body["properties"]["inputs"]["properties"]) == set(description["inputs"])
        headers = parameters(oas, execution, "header")
        assert {"Prefer", "Idempotency-Key"} <= set(headers)


def test_job_endpoints(oas):
    names = set(parameters(oas, oas["paths"]["/jobs"]["get"]))
    assert {"type", "processID", "status", "datetime", "minDuration", "maxDuration"} <= names
    assert {"get", "delete"} <= set(oas["paths"]["/jobs/{jobId}"])
    assert "404" in oas["paths"]["/jobs/{jobId}/results"]["get"]["responses"]
