"""The Prefect flow that executes every OGC process job.

One flow, one deployment per process (``ogc-process/<process id>``): operators find a job in
the Prefect UI by its flow-run name, which is the job id. The run's parameters are the job
id and process id only: the inputs stay in the job table (Prefect refuses parameters over
~512 KB, and a job's inputs are the client's business). The flow writes progress and
results to the job record; state hooks record failure, crash and cancellation, so the job
record follows Prefect even when the flow body never gets to say so (and the reconciler
covers the cases where no hook runs at all).
"""

from __future__ import annotations

from prefect import flow, runtime
from prefect.client.schemas.objects import FlowRun
from prefect.flows import Flow
from prefect.states import Cancelled, State

from flows.runner import INTERNAL, installed
from landgrid.jobs.running import JobStopped
from landgrid.jobs.store import durable

FLOW_NAME = "ogc-process"


def _exception(state: State) -> BaseException | None:
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:  # the flow's own exception is what the client must see
        return exc
    return None


def _on_failure(flow: Flow, flow_run: FlowRun, state: State) -> None:
    installed().record_failure(
        flow_run.parameters["job_id"], _exception(state), state.message or ""
    )


def _on_crashed(flow: Flow, flow_run: FlowRun, state: State) -> None:
    store, job_id = installed().store, flow_run.parameters["job_id"]
    why = f"crashed: {state.message or 'the flow run crashed'}"
    durable(lambda: store.finish(job_id, "failed", why, {"exception": INTERNAL}))


def _on_cancellation(flow: Flow, flow_run: FlowRun, state: State) -> None:
    store, job_id = installed().store, flow_run.parameters["job_id"]
    durable(lambda: store.finish(job_id, "dismissed", "cancelled in Prefect"))


@flow(
    name=FLOW_NAME,
    on_failure=[_on_failure],
    on_crashed=[_on_crashed],
    on_cancellation=[_on_cancellation],
    persist_result=False,
)
def ogc_process(job_id: str, process_id: str) -> State | None:
    """Run job ``job_id`` (a ``process_id`` job: named for operators in the UI). A job
    dismissed before or while it runs ends the run ``Cancelled``."""
    runner = installed()
    try:
        started = runner.start(job_id, str(runtime.flow_run.id))
    except JobStopped:
        return Cancelled(message="the job was dismissed")
    if started is None and runner.store.status(job_id) == "dismissed":
        return Cancelled(message="the job was dismissed")
    return None
