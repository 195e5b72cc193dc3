"""OGC API - Processes jobs: the job list, a job's status, dismissal, and results.

A caller sees their own jobs only (admins see every job); another user's job does not
exist for them (404).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from flows.dispatch import Dispatcher
from landgrid.errors import InvalidParameterValue, NoSuchJob, NoSuchProcess
from landgrid.jobs.documents import status_info
from landgrid.jobs.logbook import job_lines
from landgrid.jobs.model import Job
from landgrid.jobs.store import JOB_LIMIT, STATUSES, JobFilter, decode_cursor, encode_cursor
from landgrid.web.auth import caller
from landgrid.web.http import JSON, check_params, html_alternate, json_response, wants_html
from landgrid.web.pages import page
from landgrid.web.result_views import OutputView, output_views
from landgrid.web.results import one_output, results_response

MAX_DURATION = 10**12  # seconds (31,000 years): beyond it a float of it would overflow


def visible_owners() -> list[str] | None:
    who = caller()
    return None if who.is_admin else [who.identity]


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


LIST_PARAMETERS = (
    "type",
    "processID",
    "status",
    "datetime",
    "minDuration",
    "maxDuration",
    "limit",
    "cursor",
    "f",
)


def job_filter() -> JobFilter:
    check_params(LIST_PARAMETERS)
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
    minimum = _number("minDuration", 0, MAX_DURATION)
    maximum = _number("maxDuration", 0, MAX_DURATION)
    jobs.min_duration = None if minimum is None else float(minimum)
    jobs.max_duration = None if maximum is None else float(maximum)
    if (cursor := request.args.get("cursor")) is not None:
        try:
            jobs.after = decode_cursor(cursor)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise InvalidParameterValue("cursor: not a cursor of this server") from exc
    return jobs


def jobs_blueprint(base: str, dispatcher: Dispatcher) -> Blueprint:
    bp = Blueprint("jobs", __name__)
    store, result_store = dispatcher.store, dispatcher.runner.results
    registry, catalog = dispatcher.registry, dispatcher.runner.catalog

    def description(process_id: str) -> dict:
        try:
            return registry.description(process_id)
        except NoSuchProcess:  # a job of a process no longer offered
            return {"id": process_id, "title": process_id, "outputs": {}}

    def views(job: Job) -> list[OutputView]:
        if job.status != "successful":
            return []
        return output_views(job, description(job.process_id), base, catalog, result_store)

    def prefect_run(job: Job) -> str | None:
        """The job's flow run in the Prefect UI, for operators (admins)."""
        if not (caller().is_admin and job.flow_run_id):
            return None
        return f"{dispatcher.settings.prefect_ui}/runs/flow-run/{job.flow_run_id}"

    def owned_job(job_id: str) -> Job:
        job = store.get(job_id)
        owners = visible_owners()
        if job is None or (owners is not None and job.owner not in owners):
            raise NoSuchJob(f"no job '{job_id}'")  # another user's job does not exist for you
        return job

    @bp.get("/jobs")
    def jobs() -> Response:
        html = wants_html()
        query = job_filter()
        found = store.find(query)
        shown, more = found[: query.limit], len(found) > query.limit
        links = [
            {"href": f"{base}/jobs", "rel": "self", "type": JSON},
            html_alternate(f"{base}/jobs"),
        ]
        if more:
            args = {k: v for k, v in request.args.items() if k not in ("cursor", "f")}
            args["cursor"] = encode_cursor(shown[-1])
            links.append({"href": f"{base}/jobs?{urlencode(args)}", "rel": "next", "type": JSON})
        body = {"jobs": [status_info(job, base) for job in shown], "links": links}
        if html:
            return page(
                "jobs.html",
                base=base,
                title="Jobs",
                doc=body,
                args=request.args,
                statuses=STATUSES,
                process_ids=registry.ids(),
            )
        return json_response(body)

    @bp.get("/jobs/<job_id>")
    def job_status(job_id: str) -> Response:
        check_params(["f"])
        html = wants_html()
        job = owned_job(job_id)
        status = status_info(job, base)
        if html:
            return page(
                "job.html",
                base=base,
                title=f"Job {job_id}",
                job=status,
                process_title=description(job.process_id).get("title", job.process_id),
                inputs=job.inputs,
                prefect_run=prefect_run(job),
                views=views(job),
                lines=job_lines(store, job_id),
            )
        return json_response(status)

    @bp.delete("/jobs/<job_id>")
    def dismiss(job_id: str) -> Response:
        check_params([])
        job = owned_job(job_id)
        if job.status == "dismissed":
            raise NoSuchJob(f"job {job_id} is already dismissed")
        dispatcher.dismiss(job)
        return json_response(status_info(store.get(job_id) or job, base))

    @bp.get("/jobs/<job_id>/results")
    def results(job_id: str) -> Response:
        check_params(["f"])
        html = wants_html()
        job = owned_job(job_id)
        if html and job.status == "successful":
            return page(
                "results.html",
                base=base,
                title="Results",
                job_id=job.id,
                process=description(job.process_id),
                views=views(job),
            )
        return results_response(job, base, result_store)

    @bp.get("/jobs/<job_id>/logs")
    def logs(job_id: str) -> Response:
        """What the web app, the worker and the reconciler logged about the job."""
        check_params([])
        job = owned_job(job_id)
        href = f"{base}/jobs/{job.id}"
        lines = [
            {
                "time": line.time.isoformat().replace("+00:00", "Z"),
                "level": line.level,
                "service": line.service,
                "logger": line.logger,
                "message": line.message,
            }
            for line in job_lines(store, job.id)
        ]
        links = [
            {"href": f"{href}/logs", "rel": "self", "type": JSON, "title": "job log"},
            {"href": href, "rel": "up", "type": JSON, "title": "job status"},
        ]
        return json_response({"jobID": job.id, "lines": lines, "links": links})

    @bp.get("/jobs/<job_id>/results/<output_id>")
    def one_result(job_id: str, output_id: str) -> Response:
        check_params([])
        job = owned_job(job_id)
        if job.status != "successful":
            return results_response(job, base, result_store)
        return one_output(job, output_id, result_store)

    return bp
