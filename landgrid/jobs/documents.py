"""JSON documents of OGC API - Processes built from job records: status and results."""

from __future__ import annotations

from typing import Any

from landgrid.jobs.model import Job

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
        {"href": f"{href}?f=html", "rel": "alternate", "type": "text/html", "title": "HTML"},
        {"href": f"{base_url}/jobs", "rel": "up", "type": "application/json", "title": "jobs"},
        {
            "href": f"{base_url}/processes/{job.process_id}",
            "rel": "process",
            "type": "application/json",
            "title": "process description",
        },
        {"href": f"{href}/logs", "rel": "logs", "type": "application/json", "title": "job log"},
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


def document(job: Job, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, output in selected_outputs(job).items():
        if output["transmissionMode"] == "reference" or "file" in output:
            body[name] = {
                "href": output_href(job, name, base_url),
                "type": output.get("mediaType", media_type(output)),
            }
        else:
            body[name] = output["value"]
    return body


def media_type(output: dict[str, Any]) -> str:
    if "file" in output:
        return output["mediaType"]
    return "text/plain" if isinstance(output.get("value"), str) else "application/json"
