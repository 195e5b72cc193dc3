"""OGC API - Processes execution and jobs, over the Prefect-backed manager.

These routes replace pygeoapi's for execution and jobs (pygeoapi keeps the process list and
descriptions): request -> validate -> record -> submit -> respond. Every error is an OGC
exception document with the right status; nothing is recorded for an invalid request.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, g, request

from landgrid.errors import (
    ApiError,
    InvalidParameterValue,
    NoSuchJob,
    ResultNotReady,
)
from landgrid.http import exception_response, json_response
from landgrid.jobs import JOB_LIMIT, STATUSES, JobFilter, decode_cursor, encode_cursor
from landgrid.models import Job
from processes import responses
from processes.base import LandgridProcessor
from processes.html import JobPages, html_links, wants_html
from processes.manager import PrefectManager
from processes.validation import parse_execute

WAIT = re.compile(r"^wait=(\d+)$")


def owner() -> str:
    """The identity of the request; set by the auth layer, anonymous otherwise."""
    return g.get("identity", "anonymous")


def visible_owners() -> list[str] | None:
    return None if g.get("is_admin") else [owner()]


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


def _instant(text: str, param: str) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidParameterValue(f"{param}: '{text}' is not an RFC 3339 date-time") from exc
    if value.tzinfo is None:
        raise InvalidParameterValue(f"{param}: '{text}' needs a time zone (e.g. Z)")
    return value


def _number(name: str, minimum: int = 0, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidParameterValue(f"{name}: '{raw}' is not an integer") from exc
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidParameterValue(f"{name}: {value} is outside {bounds}")
    return value


def _list(name: str) -> list[str]:
    return [v for raw in request.args.getlist(name) for v in raw.split(",") if v]


def job_filter() -> JobFilter:
    jobs = JobFilter(owners=visible_owners())
    jobs.limit = _number("limit", JOB_LIMIT[0], JOB_LIMIT[2]) or JOB_LIMIT[1]
    types = _list("type")
    if any(t != "process" for t in types):
        raise InvalidParameterValue("type: only 'process' jobs exist here")
    jobs.process_ids = _list("processID")
    jobs.statuses = _list("status")
    unknown = [s for s in jobs.statuses if s not in STATUSES]
    if unknown:
        raise InvalidParameterValue(f"status: {unknown} not in {list(STATUSES)}")
    if (interval := request.args.get("datetime")) is not None:
        start, _, end = interval.partition("/")
        jobs.created_from = _instant(start, "datetime")
        jobs.created_to = _instant(end, "datetime") if "/" in interval else jobs.created_from
    minimum, maximum = _number("minDuration"), _number("maxDuration")
    jobs.min_duration = None if minimum is None else float(minimum)
    jobs.max_duration = None if maximum is None else float(maximum)
    if (cursor := request.args.get("cursor")) is not None:
        try:
            jobs.after = decode_cursor(cursor)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise InvalidParameterValue("cursor: not a cursor of this server") from exc
    return jobs


def create_blueprint(
    manager: PrefectManager, base_url: str, pygeoapi_config: dict[str, Any]
) -> Blueprint:
    bp = Blueprint("landgrid_processes", __name__)
    settings = manager.settings
    pages = JobPages(pygeoapi_config)

    @bp.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return exception_response(error)

    def owned_job(job_id: str) -> Job:
        job = manager.store.get(job_id)
        owners = visible_owners()
        if job is None or (owners is not None and job.owner not in owners):
            raise NoSuchJob(f"no job '{job_id}'")  # another user's job does not exist for you
        return job

    def created(job: Job, headers: dict[str, str]) -> Response:
        headers["Location"] = f"{base_url}/jobs/{job.id}"
        return json_response(responses.status_info(job, base_url), 201, headers)

    @bp.post("/processes/<process_id>/execution")
    def execute(process_id: str) -> Response:
        processor = manager.processor(process_id)
        description = processor.metadata
        try:
            body = json.loads(request.get_data() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidParameterValue(f"the request body is not valid JSON: {exc}") from exc
        execute_request = parse_execute(description, body)
        if isinstance(processor, LandgridProcessor):  # semantic checks: 400, nothing recorded
            processor.settings = settings
            processor.validate(execute_request.inputs)
        options = description.get("jobControlOptions", [])
        can_sync, can_async = "sync-execute" in options, "async-execute" in options
        asked_async, asked_wait = parse_prefer(request.headers.get("Prefer"))
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 255:
            raise InvalidParameterValue("Idempotency-Key must be 1 to 255 characters")
        run_async = can_async and (asked_async or not can_sync)
        job, new = manager.record(
            process_id, execute_request, owner(), key, "async" if run_async else "sync"
        )
        headers: dict[str, str] = {}
        if not new:  # a retried POST: the same job, whatever it has become
            return created(job, headers)
        if run_async:
            manager.submit_async(job)
            if asked_async:
                headers["Preference-Applied"] = "respond-async"
            return created(job, headers)
        wait_s = settings.sync_wait
        if asked_wait is not None:
            wait_s = min(asked_wait, settings.sync_wait_max)
            if asked_wait <= settings.sync_wait_max:
                headers["Preference-Applied"] = f"wait={asked_wait}"
        job = manager.run_sync(job, wait_s)
        if not job.final:  # still running: continues asynchronously
            headers.pop("Preference-Applied", None)
            return created(job, headers)
        return results_response(job, headers)

    def results_response(job: Job, headers: dict[str, str] | None = None) -> Response:
        if job.status == "failed":
            exception = (job.results or {}).get("exception", {})
            error = ApiError(
                job.message or "the job failed", exception.get("type", "NoApplicableCode")
            )
            error.status = int(exception.get("status", 500))
            return exception_response(error, headers)
        if job.status == "dismissed":
            raise NoSuchJob(f"job {job.id} was dismissed; its results were removed")
        if job.status != "successful":
            raise ResultNotReady(f"job {job.id} is {job.status}; results are not ready")
        if job.response == "document":
            return json_response(responses.document(job, base_url, settings), 200, headers)
        response = responses.raw(job, base_url, settings)
        response.headers.update(headers or {})
        return response

    @bp.get("/jobs")
    def jobs() -> Response:
        html = wants_html()
        query = job_filter()
        found = manager.store.find(query)
        page, more = found[: query.limit], len(found) > query.limit
        links = [
            {"href": f"{base_url}/jobs", "rel": "self", "type": "application/json"},
            *html_links(f"{base_url}/jobs"),
        ]
        if more:
            args = {k: v for k, v in request.args.items() if k not in ("cursor", "f")}
            args["cursor"] = encode_cursor(page[-1])
            query_string = "&".join(f"{k}={v}" for k, v in args.items())
            links.append(
                {
                    "href": f"{base_url}/jobs?{query_string}",
                    "rel": "next",
                    "type": "application/json",
                }
            )
        body = {"jobs": [responses.status_info(job, base_url) for job in page], "links": links}
        if html:
            return pages.job_list(body)
        return json_response(body)

    @bp.get("/jobs/<job_id>")
    def job_status(job_id: str) -> Response:
        html = wants_html()
        status = responses.status_info(owned_job(job_id), base_url)
        return pages.job(status) if html else json_response(status)

    @bp.delete("/jobs/<job_id>")
    def dismiss(job_id: str) -> Response:
        job = owned_job(job_id)
        if job.status == "dismissed":
            raise NoSuchJob(f"job {job_id} is already dismissed")
        manager.dismiss(job)
        return json_response(responses.status_info(manager.store.get(job_id), base_url))

    @bp.get("/jobs/<job_id>/results")
    def results(job_id: str) -> Response:
        html = wants_html()
        job = owned_job(job_id)
        if html and job.status == "successful":
            return pages.results(job.id, responses.document(job, base_url, settings))
        return results_response(job)

    @bp.get("/jobs/<job_id>/results/<output_id>")
    def one_result(job_id: str, output_id: str) -> Response:
        job = owned_job(job_id)
        if job.status != "successful":
            return results_response(job)
        return responses.one_output(job, output_id, settings)

    return bp
