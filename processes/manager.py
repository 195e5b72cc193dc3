"""The Prefect-backed job manager.

Submission order: validate (done by the caller), record the job (our table is the source of
truth for clients), then hand it to Prefect. Async jobs go to a worker via ``run_deployment``
with the job id as idempotency key and flow-run name, so a retried submission never makes a
second run. Sync jobs run the same flow in a thread of the web process: still a Prefect flow
run, without a worker's process start; one that outlives its wait budget simply carries on
and the client gets 201 + Location instead, as for an async job.

pygeoapi sees this class as its process manager (process list and descriptions); execution
and jobs are served by ``processes.api`` which calls the methods below.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import httpx
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Cancelling
from pygeoapi.process.base import BaseProcessor
from pygeoapi.process.manager.base import BaseManager

from flows.ogc_process import FLOW_NAME, ogc_process
from landgrid.errors import NoSuchProcess
from landgrid.jobs import JobStore, now
from landgrid.models import Job
from landgrid.settings import Settings
from processes.base import LandgridProcessor
from processes.validation import ExecuteRequest

LOGGER = logging.getLogger(__name__)
PREFECT_DOWN = (httpx.HTTPError, PrefectHTTPStatusError, OSError)


class PrefectManager(BaseManager):
    _sync_pool: ThreadPoolExecutor | None = None

    def __init__(self, manager_def: dict) -> None:
        super().__init__(manager_def)
        self.is_async = True
        self.supports_subscribing = True
        self.settings = Settings()
        self.store = JobStore(self.settings.db_url())

    # descriptions ------------------------------------------------------------------------
    def processor(self, process_id: str) -> BaseProcessor:
        if process_id not in self.processes:
            raise NoSuchProcess(f"no process '{process_id}'")
        return self.get_processor(process_id)

    # submission --------------------------------------------------------------------------
    def record(
        self,
        process_id: str,
        request: ExecuteRequest,
        owner: str,
        idempotency_key: str | None,
        mode: str,
    ) -> tuple[Job, bool]:
        """Record a new job; an idempotency key already used by this owner gives that job."""
        return self.store.create(
            Job(
                id=str(uuid.uuid4()),
                process_id=process_id,
                owner=owner,
                status="accepted",
                mode=mode,
                message="accepted",
                progress=0,
                inputs=request.inputs,
                requested_outputs=request.outputs or None,
                response=request.response,
                subscriber=request.subscriber,
                idempotency_key=idempotency_key,
            )
        )

    def submit_async(self, job: Job) -> bool:
        """Hand the job to a Prefect worker. With Prefect unreachable the job stays
        ``accepted`` and the reconciler submits it when Prefect is back (same run id)."""
        try:
            flow_run = run_deployment(
                f"{FLOW_NAME}/{job.process_id}",
                parameters={"job_id": job.id, "process_id": job.process_id, "inputs": job.inputs},
                timeout=0,
                idempotency_key=job.id,
                flow_run_name=job.id,
                tags=[f"process:{job.process_id}", f"owner:{job.owner}"],
            )
        except PREFECT_DOWN as exc:
            LOGGER.warning("Prefect unreachable, job %s queued: %s", job.id, exc)
            self.store.update(job.id, message="queued: waiting for the workflow engine")
            return False
        self.store.update(job.id, flow_run_id=str(flow_run.id), message="queued")
        return True

    def run_sync(self, job: Job, wait_seconds: float) -> Job:
        """Run the flow here; return the job as it stands after at most ``wait_seconds``."""
        if PrefectManager._sync_pool is None:
            PrefectManager._sync_pool = ThreadPoolExecutor(
                self.settings.sync_threads, thread_name_prefix="sync-job"
            )
        future = PrefectManager._sync_pool.submit(self._run_flow, job)
        wait([future], timeout=wait_seconds)
        return self.store.get(job.id) or job

    def _run_flow(self, job: Job) -> None:
        """Without flow-run heartbeats: joining Prefect's heartbeat thread costs up to 1 s per
        run, and a sync job's liveness is the web process's, which the reconciler checks."""
        try:
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                ogc_process(job.id, job.process_id, job.inputs)
        except Exception:  # recorded by the flow's hooks; nothing more to do in this thread
            LOGGER.debug("sync job %s failed", job.id, exc_info=True)

    # dismissal ---------------------------------------------------------------------------
    def dismiss(self, job: Job) -> None:
        """Cancel the Prefect run, undo what it published, mark it dismissed, remove its
        results."""
        if job.flow_run_id and not job.final:
            try:
                with get_client(sync_client=True) as client:
                    client.set_flow_run_state(uuid.UUID(job.flow_run_id), Cancelling(), force=True)
            except (ObjectNotFound, *PREFECT_DOWN) as exc:
                LOGGER.warning("could not cancel flow run of job %s: %s", job.id, exc)
        if job.process_id in self.processes:  # what the job published beyond its results
            processor = self.get_processor(job.process_id)
            if isinstance(processor, LandgridProcessor):
                processor.settings = self.settings
                processor.cleanup(job)
        self.store.set(
            job.id,
            status="dismissed",
            message="dismissed",
            results=None,
            finished=job.finished or now(),
        )
        shutil.rmtree(self.settings.results_dir / job.id, ignore_errors=True)

    # pygeoapi's manager interface: served by processes.api instead -------------------------
    def get_jobs(self, *args: Any, **kwargs: Any) -> dict:
        raise NotImplementedError("served by processes.api")

    def execute_process(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("served by processes.api")
