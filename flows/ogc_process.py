"""The Prefect flow that executes every OGC process job.

One flow, one deployment per process (``ogc-process/<process id>``): operators find a job in
the Prefect UI by its flow-run name, which is the job id. The flow writes progress and results
to the job record; state hooks record failure, crash and cancellation, so the job record
follows Prefect even when the flow body never gets to say so (and the reconciler covers the
cases where no hook runs at all).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, runtime
from prefect.client.schemas.objects import FlowRun
from prefect.flows import Flow
from prefect.states import Cancelled, State

from landgrid.errors import ApiError
from landgrid.jobs import JobStore
from landgrid.models import Job
from landgrid.settings import Settings
from processes.base import FileOutput
from processes.registry import load_processor

FLOW_NAME = "ogc-process"


class JobDismissed(Exception):
    """Raised at a progress report of a job that was dismissed meanwhile: the flow stops
    there (cooperative cancellation, for runs executing in threads)."""


def _store() -> JobStore:
    return JobStore(Settings().db_url())


def _exception(state: State) -> BaseException | None:
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:  # the flow's own exception is what the client must see
        return exc
    return None


def record_failure(job_id: str, exc: BaseException | None, fallback: str = "") -> Job | None:
    """Fail the job with the real reason and the OGC exception type/status it maps to."""
    if isinstance(exc, ApiError):
        exception = {"type": exc.type, "status": exc.status}
    else:
        exception = {"type": "NoApplicableCode", "status": 500}
    reason = (str(exc) if exc else "") or (type(exc).__name__ if exc else fallback)
    return _store().finish(job_id, "failed", f"failed: {reason}", {"exception": exception})


def _on_failure(flow: Flow, flow_run: FlowRun, state: State) -> None:
    record_failure(flow_run.parameters["job_id"], _exception(state), state.message or "")


def _on_crashed(flow: Flow, flow_run: FlowRun, state: State) -> None:
    _store().finish(
        flow_run.parameters["job_id"],
        "failed",
        f"crashed: {state.message or 'the flow run crashed'}",
        {"exception": {"type": "NoApplicableCode", "status": 500}},
    )


def _on_cancellation(flow: Flow, flow_run: FlowRun, state: State) -> None:
    _store().finish(flow_run.parameters["job_id"], "dismissed", "cancelled in Prefect")


def serialise(outputs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    stored = {}
    for name, value in outputs.items():
        if isinstance(value, FileOutput):
            relative = value.path.resolve().relative_to(settings.results_dir.resolve())
            stored[name] = {"file": str(relative), "mediaType": value.media_type}
        else:
            stored[name] = {"value": value}
    return stored


def run_job(job_id: str, process_id: str, inputs: dict[str, Any], flow_run_id: str | None) -> None:
    """Start a job (unless it was dismissed meanwhile) and run it: the body of a flow run."""
    job = JobStore(Settings().db_url()).mark_running(job_id, flow_run_id=flow_run_id)
    if job is not None:
        execute_job(job)


def execute_job(job: Job) -> Job | None:
    """Run a started job's process and record its results, in a flow run on a worker or
    directly in a web process (sync jobs, recorded as started). Returns the final job;
    raises ``JobDismissed`` when the job is dismissed while it runs; the process's own
    exceptions propagate."""
    settings = Settings()
    store = JobStore(settings.db_url())
    processor = load_processor(settings.pygeoapi_config, job.process_id)
    processor.set_job_id(job.id)

    def report(progress: int, message: str | None) -> None:
        if not store.report(job.id, progress, message):
            raise JobDismissed(job.id)

    processor.reporter = report
    processor.workdir = settings.results_dir / job.id
    processor.settings = settings
    processor.owner = job.owner
    outputs = processor.run(job.inputs)
    return store.finish(
        job.id, "successful", "completed", {"outputs": serialise(outputs, settings)}
    )


@flow(
    name=FLOW_NAME,
    on_failure=[_on_failure],
    on_crashed=[_on_crashed],
    on_cancellation=[_on_cancellation],
    persist_result=False,
)
def ogc_process(job_id: str, process_id: str, inputs: dict[str, Any]) -> State | None:
    try:
        run_job(job_id, process_id, inputs, str(runtime.flow_run.id))
    except JobDismissed:
        return Cancelled(message="the job was dismissed")
    return None
