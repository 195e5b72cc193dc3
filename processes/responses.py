"""JSON documents and result bodies of OGC API - Processes, built from job records."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response, send_file

from landgrid.errors import NoSuchJob
from landgrid.models import Job
from landgrid.settings import Settings
from processes.html import html_links

RESULTS_REL = "http://www.opengis.net/def/rel/ogc/1.0/results"


def status_info(job: Job, base_url: str) -> dict[str, Any]:
    """statusInfo: members are omitted rather than null (the schema types them as strings)."""
    body: dict[str, Any] = {
        "type": "process",
        "processID": job.process_id,
        "jobID": job.id,
        "status": job.status,
    }
    for key in ("message", "progress"):
        if getattr(job, key) is not None:
            body[key] = getattr(job, key)
    for key in ("created", "started", "finished", "updated"):
        value = getattr(job, key)
        if value is not None:
            body[key] = value.isoformat().replace("+00:00", "Z")
    href = f"{base_url}/jobs/{job.id}"
    body["links"] = [
        {"href": href, "rel": "self", "type": "application/json", "title": "job status"},
        *html_links(href),
        {"href": f"{base_url}/jobs", "rel": "up", "type": "application/json", "title": "jobs"},
        {
            "href": f"{base_url}/processes/{job.process_id}",
            "rel": "process",
            "type": "application/json",
            "title": "process description",
        },
    ]
    if job.status == "successful":
        body["links"].append(
            {
                "href": f"{href}/results",
                "rel": RESULTS_REL,
                "type": "application/json",
                "title": "results",
            }
        )
    return body


def selected_outputs(job: Job) -> dict[str, dict[str, Any]]:
    """Outputs the client asked for (all when it named none), each with its transmission."""
    stored = (job.results or {}).get("outputs", {})
    wanted = job.requested_outputs or {name: {} for name in stored}
    return {
        name: {**stored[name], "transmissionMode": opts.get("transmissionMode", "value")}
        for name, opts in wanted.items()
        if name in stored
    }


def output_href(job: Job, name: str, base_url: str) -> str:
    return f"{base_url}/jobs/{job.id}/results/{name}"


def document(job: Job, base_url: str, settings: Settings) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, output in selected_outputs(job).items():
        if output["transmissionMode"] == "reference" or "file" in output:
            body[name] = {
                "href": output_href(job, name, base_url),
                "type": output.get("mediaType", _media_type(output)),
            }
        else:
            body[name] = output["value"]
    return body


def _media_type(output: dict[str, Any]) -> str:
    if "file" in output:
        return output["mediaType"]
    return "text/plain" if isinstance(output.get("value"), str) else "application/json"


def one_output(job: Job, name: str, settings: Settings) -> Response:
    """The raw value of one output: a file streamed from disk, text, or JSON."""
    output = (job.results or {}).get("outputs", {}).get(name)
    if output is None:
        raise NoSuchJob(f"job {job.id} has no output '{name}'")
    if "file" in output:
        path = (settings.results_dir / output["file"]).resolve()
        if not path.is_relative_to(settings.results_dir.resolve()) or not path.exists():
            raise NoSuchJob(f"the file of output '{name}' is no longer available")
        return send_file(
            path, mimetype=output["mediaType"], as_attachment=False, download_name=path.name
        )
    value = output["value"]
    if isinstance(value, str):
        return Response(value, mimetype="text/plain")
    return Response(json.dumps(value), mimetype="application/json")


def raw(job: Job, base_url: str, settings: Settings) -> Response:
    """``response=raw``: one output as itself, references as Link headers (204), several
    outputs as multipart/related."""
    outputs = selected_outputs(job)
    refs = {n: o for n, o in outputs.items() if o["transmissionMode"] == "reference"}
    if refs and len(refs) == len(outputs):
        links = ", ".join(
            f'<{output_href(job, n, base_url)}>; rel="{RESULTS_REL}"; '
            f'type="{_media_type(o)}"; title="{n}"'
            for n, o in refs.items()
        )
        return Response(status=204, headers={"Link": links})
    if len(outputs) == 1:
        return one_output(job, next(iter(outputs)), settings)
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
            headers = f"Content-Type: {_media_type(output)}"
        parts.append(f"--{boundary}\r\nContent-ID: <{name}>\r\n{headers}\r\n\r\n{content}\r\n")
    body = "".join(parts) + f"--{boundary}--\r\n"
    return Response(body, mimetype=f'multipart/related; boundary="{boundary}"')
