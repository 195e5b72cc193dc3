"""Result bodies of a successful job: one output as itself, or several as multipart.

``response=raw`` answers the outputs themselves (files streamed from the result store,
never from outside it); references become ``Link`` headers.
"""

from __future__ import annotations

import json
import uuid

from flask import Response, send_file

from landgrid.errors import ApiError, NoSuchJob, ResultNotReady
from landgrid.jobs.documents import (
    RESULTS_REL,
    document,
    media_type,
    output_href,
    selected_outputs,
)
from landgrid.jobs.model import Job
from landgrid.jobs.results import ResultStore
from landgrid.web.http import exception_response, json_response


def one_output(job: Job, name: str, results: ResultStore) -> Response:
    """The raw value of one output: a file streamed from the result store, text, or JSON."""
    output = (job.results or {}).get("outputs", {}).get(name)
    if output is None:
        raise NoSuchJob(f"job {job.id} has no output '{name}'")
    if "file" in output:
        key = output["file"]
        found = results.file(key) if results.local else results.open(key)
        if found is None:
            raise NoSuchJob(f"the file of output '{name}' is no longer available")
        download = key.rsplit("/", 1)[-1]
        return send_file(
            found, mimetype=output["mediaType"], as_attachment=False, download_name=download
        )
    value = output["value"]
    if isinstance(value, str):
        return Response(value, mimetype="text/plain")
    return Response(json.dumps(value), mimetype="application/json")


def raw(job: Job, base_url: str, results: ResultStore) -> Response:
    """``response=raw``: one output as itself, references as Link headers (204), several
    outputs as multipart/related."""
    outputs = selected_outputs(job)
    refs = {n: o for n, o in outputs.items() if o["transmissionMode"] == "reference"}
    if refs and len(refs) == len(outputs):
        links = ", ".join(
            f'<{output_href(job, n, base_url)}>; rel="{RESULTS_REL}"; '
            f'type="{media_type(o)}"; title="{n}"'
            for n, o in refs.items()
        )
        return Response(status=204, headers={"Link": links})
    if len(outputs) == 1:
        return one_output(job, next(iter(outputs)), results)
    boundary = uuid.uuid4().hex
    parts = []
    for name, output in outputs.items():
        if output["transmissionMode"] == "reference" or "file" in output:
            content = ""
            headers = (
                f"Content-Type: message/external-body; "
                f'access-type=URL; URL="{output_href(job, name, base_url)}"'
            )
        else:
            value = output["value"]
            content = value if isinstance(value, str) else json.dumps(value)
            headers = f"Content-Type: {media_type(output)}"
        parts.append(f"--{boundary}\r\nContent-ID: <{name}>\r\n{headers}\r\n\r\n{content}\r\n")
    body = "".join(parts) + f"--{boundary}--\r\n"
    return Response(body, mimetype=f'multipart/related; boundary="{boundary}"')


def results_response(
    job: Job, base_url: str, results: ResultStore, headers: dict[str, str] | None = None
) -> Response:
    """``/jobs/{id}/results`` as the execute request asked (raw or document); a failed
    job's own exception (``/req/core/job-results-failed``); 404 before it is ready."""
    if job.status == "failed":
        exception = (job.results or {}).get("exception", {})
        error = ApiError(job.message or "the job failed", exception.get("type", "NoApplicableCode"))
        error.status = int(exception.get("status", 500))
        return exception_response(error, headers)
    if job.status == "dismissed":
        raise NoSuchJob(f"job {job.id} was dismissed; its results were removed")
    if job.status != "successful":
        raise ResultNotReady(f"job {job.id} is {job.status}; results are not ready")
    if job.response == "document":
        return json_response(document(job, base_url), 200, headers)
    response = raw(job, base_url, results)
    response.headers.update(headers or {})
    return response
