"""Jobs as Prefect flow runs; sync jobs recorded beside the request instead of in its way.

A sync job runs directly in a web-process thread: going through Prefect's flow engine would
cost ~7 API round trips (~150-350 ms here) before the client gets an answer. So the run is
mirrored: a background thread creates the job's flow run on its deployment, named after the
job id, tagged with process and owner, in ``Running``; when the job ends it sets the run's
final state with the job's message. Operators see sync jobs like any other; a retry from
the Prefect UI schedules the run, and a worker executes it as an ordinary async run.

With Prefect unreachable the job still runs (the client gets its result); the reconciler
then creates or finishes its run (``record_missing``) once Prefect answers again: the
``mirrored`` column says which final status Prefect already shows.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from prefect.client.orchestration import SyncPrefectClient
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, Completed, Failed, Running, Scheduled, State

from flows.client import PREFECT_ERRORS, prefect_client, refusal
from flows.ogc_process import FLOW_NAME
from landgrid.jobs.model import Job
from landgrid.jobs.store import JobStore
from landgrid.settings import Settings

LOGGER = logging.getLogger(__name__)
FINAL_STATES = {"successful": Completed, "failed": Failed, "dismissed": Cancelled}


def run_tags(job: Job) -> list[str]:
    return [f"process:{job.process_id}", f"owner:{job.owner}"]


def run_parameters(job: Job) -> dict[str, Any]:
    return {"job_id": job.id, "process_id": job.process_id}


class FlowRuns:
    """The flow runs of jobs, created straight on the job's deployment (one API call; the
    deployment ids are cached), and the mirror of sync jobs."""

    def __init__(self, store: JobStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.pool = ThreadPoolExecutor(settings.sync_threads, thread_name_prefix="flow-run-mirror")
        self.deployments: dict[str, uuid.UUID] = {}

    def create(self, client: SyncPrefectClient, job: Job, state: State) -> uuid.UUID:
        """The job's run in ``state``; the job id as idempotency key, so a retry (ours, or
        the reconciler's) returns the run created first instead of a second one."""
        for attempt in (1, 2):
            try:
                run = client.create_flow_run_from_deployment(
                    self.deployment_id(client, job.process_id),
                    parameters=run_parameters(job),
                    name=job.id,
                    tags=run_tags(job),
                    idempotency_key=job.id,
                    state=state,
                )
                return run.id
            except ObjectNotFound:  # deployment re-created since we cached its id
                self.deployments.pop(job.process_id, None)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def schedule(self, client: SyncPrefectClient, job: Job) -> uuid.UUID:
        """An async job: a Scheduled run for a worker of the deployment's pool."""
        return self.create(client, job, Scheduled())

    def follow(self, job: Job, execution: Future) -> None:
        """Mirror sync ``job`` in the background until ``execution`` ends."""
        self.pool.submit(self._follow, job, execution)

    def _follow(self, job: Job, execution: Future) -> None:
        try:
            with prefect_client(self.settings) as client:
                run_id = self.create(client, job, Running())
                self.store.set(job.id, flow_run_id=str(run_id))
                execution.result()  # the job's own outcome is in the job record
                self.finish(client, run_id, self.store.get(job.id) or job)
        except Exception:  # never disturb the job: the reconciler records what is missing
            LOGGER.warning("could not mirror job %s in Prefect", job.id, exc_info=True)

    def finish(self, client: SyncPrefectClient, run_id: uuid.UUID, job: Job) -> None:
        if job.final:
            client.set_flow_run_state(
                run_id, FINAL_STATES[job.status](message=job.message or ""), force=True
            )
            self.store.set(job.id, mirrored=job.status)

    def record_missing(self, client: SyncPrefectClient, job: Job) -> None:
        """A sync job that ended while Prefect was unreachable: record its run now. If
        Prefect refuses (4xx, or the deployment is gone), the job keeps no run: asking
        again every pass would only repeat the refusal."""
        try:
            if job.flow_run_id:
                run_id = uuid.UUID(job.flow_run_id)
            else:
                run_id = self.create(client, job, Running())
                self.store.set(job.id, flow_run_id=str(run_id))
            self.finish(client, run_id, job)
        except (ObjectNotFound, *PREFECT_ERRORS) as exc:
            reason = "no deployment or run" if isinstance(exc, ObjectNotFound) else refusal(exc)
            if reason is None:
                raise  # the engine is unavailable: next pass
            LOGGER.warning("Prefect refused to record sync job %s: %s", job.id, reason)
            self.store.set(job.id, mirrored=job.status)

    def deployment_id(self, client: SyncPrefectClient, process_id: str) -> uuid.UUID:
        if process_id not in self.deployments:
            deployment = client.read_deployment_by_name(f"{FLOW_NAME}/{process_id}")
            self.deployments[process_id] = deployment.id
        return self.deployments[process_id]
