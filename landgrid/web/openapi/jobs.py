"""The job endpoints in the OpenAPI document, as ``landgrid.web.jobs`` really serves them.

pygeoapi's generator describes its own job endpoints (no job-list parameters, ``DELETE``
answering 204, a ``Prefer`` limited to two values); ours differ, and the ``oas30`` class
requires the document to describe what the server does. So those entries are replaced here.
"""

from __future__ import annotations

from typing import Any

from landgrid.jobs.store import JOB_LIMIT, STATUSES

OGC = "https://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi"
JSON_AND_HTML = ("application/json", "text/html")


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"{OGC}/schemas/exception.yaml"}}},
    }


def _ok(description: str, schema: str, html: bool = True) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": f"{OGC}/schemas/{schema}"}}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


F = _query(
    "f", "output format (else chosen by Accept)", {"type": "string", "enum": ["json", "html"]}
)
JOB_ID = _path("jobId", "job identifier")
BAD = _error("invalid parameter value")
NOT_FOUND = _error("no such job (or not yours), or no such output")
JOB_LIST_PARAMETERS = [
    _query(
        "type",
        "job type",
        {"type": "array", "items": {"type": "string", "enum": ["process"]}},
        style="form",
        explode=False,
    ),
    _query(
        "processID",
        "only jobs of these processes",
        {"type": "array", "items": {"type": "string"}},
        style="form",
        explode=False,
    ),
    _query(
        "status",
        "only jobs in these states",
        {"type": "array", "items": {"type": "string", "enum": list(STATUSES)}},
        style="form",
        explode=False,
    ),
    _query(
        "datetime",
        "creation time: an RFC 3339 instant or interval (.. for open ends)",
        {"type": "string"},
    ),
    _query(
        "minDuration",
        "only jobs that ran at least this many seconds",
        {"type": "integer", "minimum": 0},
    ),
    _query(
        "maxDuration",
        "only jobs that ran at most this many seconds",
        {"type": "integer", "minimum": 0},
    ),
    _query(
        "limit",
        "jobs per page",
        {
            "type": "integer",
            "minimum": JOB_LIMIT[0],
            "default": JOB_LIMIT[1],
            "maximum": JOB_LIMIT[2],
        },
    ),
    _query("cursor", "opaque position of the page (from a `next` link)", {"type": "string"}),
    F,
]
EXECUTION_HEADERS = [
    {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": "RFC 7240: `respond-async`, and/or `wait=N` (seconds a sync request "
        "may wait before it turns asynchronous); honoured preferences are echoed in "
        "Preference-Applied",
        "schema": {"type": "string"},
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "a retried POST with the same key (same user) returns the job "
        "created first instead of a second job",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    },
]


def describe_jobs(document: dict[str, Any]) -> dict[str, Any]:
    paths = document.setdefault("paths", {})
    tags = ["jobs"]
    paths["/jobs"] = {
        "get": {
            "summary": "List the jobs you may see (newest first, keyset paging)",
            "operationId": "getJobs",
            "tags": tags,
            "parameters": JOB_LIST_PARAMETERS,
            "responses": {"200": _ok("a page of jobs", "jobList.yaml"), "400": BAD},
        }
    }
    paths["/jobs/{jobId}"] = {
        "get": {
            "summary": "Status of a job",
            "operationId": "getJob",
            "tags": tags,
            "parameters": [JOB_ID, F],
            "responses": {"200": _ok("the job's status", "statusInfo.yaml"), "404": NOT_FOUND},
        },
        "delete": {
            "summary": "Dismiss a job: cancel its Prefect run, remove its results",
            "operationId": "dismissJob",
            "tags": tags,
            "parameters": [JOB_ID],
            "responses": {
                "200": _ok("the dismissed job's status", "statusInfo.yaml", html=False),
                "404": NOT_FOUND,
            },
        },
    }
    paths["/jobs/{jobId}/results"] = {
        "get": {
            "summary": "Results of a job (as its execute request asked: raw or document)",
            "operationId": "getJobResults",
            "tags": tags,
            "parameters": [JOB_ID, F],
            "responses": {
                "200": _ok("the results", "results.yaml"),
                "404": NOT_FOUND,
                "500": _error("the job failed: its exception"),
            },
        }
    }
    paths["/jobs/{jobId}/results/{outputId}"] = {
        "get": {
            "summary": "One output of a job, as a download",
            "operationId": "getJobResult",
            "tags": tags,
            "parameters": [JOB_ID, _path("outputId", "output identifier")],
            "responses": {"200": {"description": "the output value or file"}, "404": NOT_FOUND},
        }
    }
    for path, item in paths.items():
        if path.startswith("/processes/") and path.endswith("/execution") and "post" in item:
            operation = item["post"]
            operation["parameters"] = EXECUTION_HEADERS
            operation.setdefault("responses", {})["400"] = _error(
                "invalid execute request: the offending input is named"
            )
            operation["responses"]["429"] = _error(
                "too many queued and running jobs (yours, or the server's): try again after "
                "Retry-After seconds"
            ) | {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
            _to_oas30(operation["responses"])
    return document


def _to_oas30(node: Any) -> None:
    """Process output schemas (JSON Schema, copied into the execution responses by
    pygeoapi) use ``contentEncoding``/``contentMediaType``, which OpenAPI 3.0 schemas lack:
    ``format: binary`` says the same there (the media type is the response's key)."""
    if isinstance(node, dict):
        encoding = node.pop("contentEncoding", None)
        if encoding in ("binary", "base64"):
            node["format"] = "binary" if encoding == "binary" else "byte"
        node.pop("contentMediaType", None)
        for value in node.values():
            _to_oas30(value)
    elif isinstance(node, list):
        for value in node:
            _to_oas30(value)
