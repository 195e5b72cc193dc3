"""The job endpoints, as ``landgrid.web.jobs`` serves them: the job list (its filters and
bounds, keyset paging), a job's status, dismissal, its results and each output."""

from __future__ import annotations

from typing import Any

from landgrid.jobs.store import JOB_LIMIT, STATUSES
from landgrid.web.openapi.shared import (
    F_JSON_HTML,
    JSON,
    LINKS,
    STRING,
    Context,
    Fragment,
    error,
    json_and_html,
    listing,
    operation,
    path_param,
    query,
    response,
    schema_ref,
)

F = F_JSON_HTML
JOB_ID = path_param("jobId", "job identifier")
BAD = error("A parameter is invalid; the exception names it.")
NOT_FOUND = error(
    "No such job (or not yours: `no-such-job`), or its results are not ready "
    "(`result-not-ready`), or no such output."
)
JOB_LIST_PARAMETERS = [
    query(
        "type",
        "job type",
        {"type": "array", "items": {"type": "string", "enum": ["process"]}},
    ),
    query(
        "processID",
        "only jobs of these processes",
        {"type": "array", "items": {"type": "string"}},
    ),
    query(
        "status",
        "only jobs in these states",
        {"type": "array", "items": {"type": "string", "enum": list(STATUSES)}},
    ),
    query(
        "datetime",
        "creation time: an RFC 3339 instant or interval (.. for open ends)",
        {"type": "string"},
    ),
    query(
        "minDuration",
        "only jobs that ran at least this many seconds",
        {"type": "integer", "minimum": 0},
    ),
    query(
        "maxDuration",
        "only jobs that ran at most this many seconds",
        {"type": "integer", "minimum": 0},
    ),
    query(
        "limit",
        "jobs per page",
        {
            "type": "integer",
            "minimum": JOB_LIMIT[0],
            "default": JOB_LIMIT[1],
            "maximum": JOB_LIMIT[2],
        },
    ),
    query("cursor", "opaque position of the page (from a `next` link)", {"type": "string"}),
    F,
]
SCHEMAS = {
    "jobLogs": {
        "type": "object",
        "required": ["jobID", "lines", "links"],
        "properties": {
            "jobID": STRING,
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["time", "level", "service", "logger", "message"],
                    "properties": {
                        k: {"type": "string", **({"format": "date-time"} if k == "time" else {})}
                        for k in ("time", "level", "service", "logger", "message")
                    },
                },
            },
            "links": LINKS,
        },
    },
    "jobList": listing("jobs", "statusInfo"),
}


def describe(context: Context) -> Fragment:
    if not context.processes:
        return {}
    tags = ["jobs"]
    status = schema_ref("statusInfo")
    paths: dict[str, Any] = {
        "/jobs": {
            "get": operation(
                "getJobs",
                "The jobs you may see (newest first, keyset paging)",
                {"200": json_and_html("A page of jobs.", schema_ref("jobList")), "400": BAD},
                JOB_LIST_PARAMETERS,
                tags,
            )
        },
        "/jobs/{jobId}": {
            "get": operation(
                "getJob",
                "The status of a job",
                {"200": json_and_html("The job's status.", status), "400": BAD, "404": NOT_FOUND},
                [JOB_ID, F],
                tags,
            ),
            "delete": operation(
                "dismissJob",
                "Dismiss a job: cancel its Prefect run, remove its results",
                {
                    "200": response("The dismissed job's status.", {JSON: status}),
                    "400": BAD,
                    "404": NOT_FOUND,
                },
                [JOB_ID],
                tags,
            ),
        },
        "/jobs/{jobId}/results": {
            "get": operation(
                "getJobResults",
                "The results of a job, as its execute request asked (raw or document)",
                {
                    "200": response(
                        "The results: the document, one output as itself, or several as "
                        "`multipart/related` (HTML: a page).",
                        {
                            JSON: {"type": "object"},
                            "multipart/related": STRING,
                            "text/html": STRING,
                            "*/*": {"type": "string", "format": "binary"},
                        },
                    ),
                    "204": response(
                        "`response=raw` with every output by reference: `Link` headers.",
                        headers={"Link": {"schema": STRING, "description": "one per output"}},
                    ),
                    "400": BAD,
                    "404": NOT_FOUND,
                    "500": error("The job failed: its exception."),
                },
                [JOB_ID, F],
                tags,
            )
        },
        "/jobs/{jobId}/results/{outputId}": {
            "get": operation(
                "getJobResult",
                "One output of a job, as a download",
                {
                    "200": response(
                        "The output's value or file.",
                        {"*/*": {"type": "string", "format": "binary"}},
                    ),
                    "400": BAD,
                    "404": NOT_FOUND,
                    "500": error("The job failed: its exception."),
                },
                [JOB_ID, path_param("outputId", "output identifier")],
                tags,
            )
        },
        "/jobs/{jobId}/logs": {
            "get": operation(
                "getJobLogs",
                "What the web app, the worker and the reconciler logged about the job (its "
                "owner only)",
                {
                    "200": response(
                        "The job's log lines, oldest first.", {JSON: schema_ref("jobLogs")}
                    ),
                    "400": BAD,
                    "404": NOT_FOUND,
                },
                [JOB_ID],
                tags,
            )
        },
    }
    return {"paths": paths, "components": {"schemas": SCHEMAS}, "tags": [{"name": "jobs"}]}
