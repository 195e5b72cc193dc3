"""OGC API - Processes: the process list, descriptions, and execution.

Execution is request -> validate -> record -> submit (or run) -> respond. Every error is an
OGC exception document with the right status; nothing is recorded for an invalid request.
Fair share: beyond ``max_jobs_per_user`` queued + running jobs of the caller, or
``max_jobs`` of everybody, a new job is refused with 429 and ``Retry-After`` (a retried
POST with its ``Idempotency-Key`` still gets its job).
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from flows.dispatch import Dispatcher
from landgrid.errors import InvalidParameterValue, TooManyJobs
from landgrid.jobs.callbacks import CallbackPolicy
from landgrid.jobs.documents import status_info
from landgrid.jobs.model import Job
from landgrid.jobs.request import parse_execute
from landgrid.jobs.store import JobLimitReached
from landgrid.web.auth import caller
from landgrid.web.conformance import OGC
from landgrid.web.http import JSON, check_params, html_alternate, json_response, wants_html
from landgrid.web.inputs import json_body
from landgrid.web.pages import page
from landgrid.web.results import results_response

OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"
PROCESSES = [
    f"{OGC}/ogcapi-processes-1/1.0/conf/core",
    f"{OGC}/ogcapi-processes-1/1.0/conf/ogc-process-description",
    f"{OGC}/ogcapi-processes-1/1.0/conf/json",
    f"{OGC}/ogcapi-processes-1/1.0/conf/html",
    f"{OGC}/ogcapi-processes-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-processes-1/1.0/conf/job-list",
    f"{OGC}/ogcapi-processes-1/1.0/conf/callback",
    f"{OGC}/ogcapi-processes-1/1.0/conf/dismiss",
]
WAIT = re.compile(r"^wait=(\d+)$")
IDEMPOTENCY_KEY = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
SUMMARY = (
    "id",
    "title",
    "description",
    "version",
    "keywords",
    "jobControlOptions",
    "outputTransmission",
)
PROCESS_LIMIT = (1, 100, 1000)  # minimum, default, maximum of `limit` on /processes
RETRY_FULL = "10"  # seconds: about what a few queued jobs take to run


def processes_conformance(dispatcher: Dispatcher) -> list[str]:
    return PROCESSES if dispatcher.registry.ids() else []


def parse_prefer(header: str | None) -> tuple[bool, int | None]:
    """(respond-async asked, wait seconds asked) from an RFC 7240 Prefer header."""
    asked_async, wait_s = False, None
    for token in (header or "").split(","):
        token = token.strip().lower().replace(" ", "")
        if token == "respond-async":
            asked_async = True
        elif match := WAIT.match(token):
            wait_s = int(match.group(1))
    return asked_async, wait_s


def process_links(base: str, process_id: str) -> list[dict[str, str]]:
    href = f"{base}/processes/{process_id}"
    return [
        {"href": href, "rel": "self", "type": JSON, "title": "process description"},
        html_alternate(href),
        {
            "href": f"{href}/execution",
            "rel": f"{OGC_REL}/execute",
            "type": JSON,
            "title": "execute",
        },
        {"href": f"{base}/jobs", "rel": f"{OGC_REL}/job-list", "type": JSON, "title": "jobs"},
    ]


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return PROCESS_LIMIT[1]
    if not raw.isdigit() or not PROCESS_LIMIT[0] <= int(raw) <= PROCESS_LIMIT[2]:
        raise InvalidParameterValue(
            f"limit: expected an integer from {PROCESS_LIMIT[0]} to {PROCESS_LIMIT[2]}"
        )
    return int(raw)


def processes_blueprint(base: str, dispatcher: Dispatcher) -> Blueprint:
    bp = Blueprint("processes", __name__)
    registry, settings = dispatcher.registry, dispatcher.settings
    callbacks = CallbackPolicy.from_settings(settings)

    @bp.get("/processes")
    def processes() -> Response:
        check_params(["f", "limit", "after"])
        html = wants_html()
        limit = _limit()
        ids = registry.ids()
        start = 0
        if (after := request.args.get("after")) is not None:
            if after not in ids:
                raise InvalidParameterValue("after: not a process of this server")
            start = ids.index(after) + 1
        shown = ids[start : start + limit]
        summaries = []
        for process_id in shown:
            description = registry.description(process_id)
            summary = {k: description[k] for k in SUMMARY if k in description}
            summaries.append(summary | {"links": process_links(base, process_id)})
        links = [
            {"href": f"{base}/processes", "rel": "self", "type": JSON, "title": "processes"},
            html_alternate(f"{base}/processes"),
        ]
        if start + limit < len(ids):
            links.append(
                {
                    "href": f"{base}/processes?limit={limit}&after={shown[-1]}",
                    "rel": "next",
                    "type": JSON,
                    "title": "next page",
                }
            )
        body = {"processes": summaries, "links": links}
        if html:
            return page("processes.html", base=base, title="Processes", doc=body)
        return json_response(body)

    @bp.get("/processes/<process_id>")
    def process(process_id: str) -> Response:
        check_params(["f"])
        html = wants_html()
        body = registry.description(process_id) | {"links": process_links(base, process_id)}
        if html:
            return page("process.html", base=base, title=body["title"], doc=body)
        return json_response(body)

    def created(job: Job, headers: dict[str, str]) -> Response:
        headers["Location"] = f"{base}/jobs/{job.id}"
        return json_response(status_info(job, base), 201, headers)

    @bp.post("/processes/<process_id>/execution")
    def execute(process_id: str) -> Response:
        description = registry.description(process_id)
        check_params([])
        body = json_body(empty="{}")
        execute_request = parse_execute(description, body, callbacks)
        who = caller()
        # semantic checks, with what the caller may read: 400, nothing recorded
        registry.processor(process_id, dispatcher.runner.context(who)).validate(
            execute_request.inputs
        )
        options = description.get("jobControlOptions", [])
        can_sync, can_async = "sync-execute" in options, "async-execute" in options
        asked_async, asked_wait = parse_prefer(request.headers.get("Prefer"))
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise InvalidParameterValue(
                "Idempotency-Key must be 1 to 255 characters, none a control character"
            )
        run_async = can_async and (asked_async or not can_sync)
        try:
            job, new = dispatcher.record(
                process_id, execute_request, who, key, "async" if run_async else "sync"
            )
        except JobLimitReached as exc:
            raise TooManyJobs(
                f"{exc}: try again when one has finished", headers={"Retry-After": RETRY_FULL}
            ) from exc
        headers: dict[str, str] = {}
        if not new:  # a retried POST: the same job, whatever it has become
            return created(job, headers)
        if run_async:
            dispatcher.submit_async(job)
            if asked_async:
                headers["Preference-Applied"] = "respond-async"
            return created(job, headers)
        wait_s = settings.sync_wait
        if asked_wait is not None:
            wait_s = min(asked_wait, settings.sync_wait_max)
            if asked_wait <= settings.sync_wait_max:
                headers["Preference-Applied"] = f"wait={asked_wait}"
        job = dispatcher.run_sync(job, wait_s)
        if not job.final:  # still running: continues asynchronously
            headers.pop("Preference-Applied", None)
            return created(job, headers)
        response = results_response(job, base, dispatcher.runner.results, headers)
        response.headers.add("Link", f'<{base}/jobs/{job.id}>; rel="monitor"')  # the job
        return response

    return bp
