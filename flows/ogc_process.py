"""The Prefect flow that executes every OGC process job.

One flow, one deployment per process (``ogc-process/<process id>``): operators find a job in
the Prefect UI by its flow-run name, which is the job id. The flow writes progress and results
to the job record; state hooks record failure, crash and cancellation, so the job record
follows Prefect even when the flow body never gets to say so.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import FlowRun
from prefect.flows import Flow
from prefect.states import State

from landgrid.jobs import JobStore
from landgrid.settings import Settings
from processes.registry import load_processor

FLOW_NAME = "ogc-process"


def _store() -> JobStore:
    return JobStore(Settings().db_url())


def _reason(state: State) -> str:
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:  # the flow's own exception is the reason to show
        text = str(exc) or type(exc).__name__
        return text.splitlines()[0][:500]
    return state.message or state.name


def _on_failure(flow: Flow, flow_run: FlowRun, state: State) -> None:
    _store().finish(flow_run.parameters["job_id"], "failed", f"failed: {_reason(state)}")


def _on_crashed(flow: Flow, flow_run: FlowRun, state: State) -> None:
    _store().finish(flow_run.parameters["job_id"], "failed",
                    f"crashed: {state.message or 'the flow run crashed'}")


def _on_cancellation(flow: Flow, flow_run: FlowRun, state: State) -> None:
    _store().finish(flow_run.parameters["job_id"], "dismissed", "cancelled in Prefect")


@flow(
    name=FLOW_NAME,
    on_failure=[_on_failure],
    on_crashed=[_on_crashed],
    on_cancellation=[_on_cancellation],
    persist_result=False,
)
def ogc_process(job_id: str, process_id: str, inputs: dict[str, Any]) -> None:
    settings = Settings()
    store = JobStore(settings.db_url())
    store.mark_running(job_id)
    processor = load_processor(settings.pygeoapi_config, process_id)
    processor.set_job_id(job_id)
    processor.reporter = lambda progress, message: store.report(job_id, progress, message)
    mimetype, outputs = processor.execute(inputs)
    store.finish(job_id, "successful", "completed",
                 {"mimetype": mimetype, "outputs": outputs})
