"""The Prefect-backed job manager.

Submission order: validate (done by the caller), record the job (our table is the source of
truth for clients), then hand it to Prefect. Async jobs go to a worker as a Scheduled run of
their deployment, with the job id as idempotency key and flow-run name, so a retried
submission never makes a second run. Sync jobs run the same job body directly in a thread of
the web process, mirrored as a Prefect flow run beside the request (``processes.flowruns``);
one that outlives its wait budget simply carries on and the client gets 201 + Location
instead, as for an async job.

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
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.settings import (
    PREFECT_API_REQUEST_TIMEOUT,
    PREFECT_CLIENT_MAX_RETRIES,
    temporary_settings,
)
from prefect.states import Cancelling
from pygeoapi.process.base import BaseProcessor
from pygeoapi.process.manager.base import BaseManager

from flows.ogc_process import FLOW_NAME, JobDismissed, execute_job, record_failure
from landgrid.errors import NoSuchProcess
from landgrid.jobs import JobStore, now, start_heartbeat, this_runner
from landgrid.models import Job
from landgrid.settings import Settings
from processes.base import LandgridProcessor
from processes.flowruns import FlowRuns
from processes.validation import ExecuteRequest

LOGGER = logging.getLogger(__name__)
PREFECT_DOWN = (httpx.HTTPError, PrefectHTTPStatusError, OSError)
# A submission must not hang on a Prefect that is down (its client retries for ~60 s by
# default): fail at once, the reconciler resubmits with the same idempotency key.
SUBMITTERS = 2  # Prefect's server is the bottleneck of a burst, not parallel submissions
FAIL_FAST = {PREFECT_CLIENT_MAX_RETRIES: 0, PREFECT_API_REQUEST_TIMEOUT: 10.0}


class PrefectManager(BaseManager):
    _sync_pool: ThreadPoolExecutor | None = None
    _flow_runs: FlowRuns | None = None
    _submitter: ThreadPoolExecutor | None = None

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
        """Record a new job; an idempotency key already used by this owner gives that job.
        A sync job is recorded as started (this process runs it now): one commit less."""
        started = {"status": "accepted", "message": "accepted"}
        if mode == "sync":
            started = {
                "status": "running",
                "message": "running",
                "started": now(),
                "runner": this_runner(),
                "heartbeat": now(),
            }
        return self.store.create(
            Job(
                id=str(uuid.uuid4()),
                process_id=process_id,
                owner=owner,
                mode=mode,
                progress=0,
                **started,
                inputs=request.inputs,
                requested_outputs=request.outputs or None,
                response=request.response,
                subscriber=request.subscriber,
                idempotency_key=idempotency_key,
            )
        )

    @property
    def flow_runs(self) -> FlowRuns:
        cls = PrefectManager
        if cls._flow_runs is None:
            cls._flow_runs = FlowRuns(self.store, self.settings.sync_threads)
        return cls._flow_runs

    def submit_async(self, job: Job) -> None:
        """Submit in the background: the client's 201 does not wait for Prefect, and the
        web threads stay free for status polls while a burst of jobs is handed over. If
        this process dies first, the reconciler submits the job (it is ``accepted``
        without a run)."""
        cls = PrefectManager
        if cls._submitter is None:
            cls._submitter = ThreadPoolExecutor(SUBMITTERS, thread_name_prefix="submit")
        cls._submitter.submit(self.submit_now, job)

    def submit_now(self, job: Job) -> bool:
        """Hand the job to a Prefect worker. With Prefect unreachable the job stays
        ``accepted`` and the reconciler submits it when Prefect is back (same run id)."""
        try:
            with temporary_settings(updates=FAIL_FAST), get_client(sync_client=True) as client:
                run_id = self.flow_runs.schedule(client, job)
        except ObjectNotFound:  # a process without a deployment: never runnable as it is
            self.store.finish(
                job.id,
                "failed",
                f"no Prefect deployment {FLOW_NAME}/{job.process_id}: the operator must "
                "apply the deployments (python -m flows.deployments)",
                {"exception": {"type": "NoApplicableCode", "status": 500}},
            )
            return False
        except PREFECT_DOWN as exc:
            LOGGER.warning("Prefect unreachable, job %s queued: %s", job.id, exc)
            self.store.update(job.id, message="queued: waiting for the workflow engine")
            return False
        self.store.update(job.id, flow_run_id=str(run_id), message="queued")
        return True

    def run_sync(self, job: Job, wait_seconds: float) -> Job:
        """Run the job here; return it as it stands after at most ``wait_seconds``."""
        cls = PrefectManager
        if cls._sync_pool is None:
            cls._sync_pool = ThreadPoolExecutor(
                self.settings.sync_threads, thread_name_prefix="sync-job"
            )
            start_heartbeat(self.store, self.settings.heartbeat_interval)
        execution = cls._sync_pool.submit(self._execute_here, job)
        self.flow_runs.follow(job, execution)
        done, _ = wait([execution], timeout=wait_seconds)
        return (done and execution.result()) or self.store.get(job.id) or job

    @staticmethod
    def _execute_here(job: Job) -> Job | None:
        """The job as it ended (None if something else ended it, e.g. a dismissal)."""
        try:
            return execute_job(job)
        except JobDismissed:
            return None  # the job record already says dismissed
        except Exception as exc:  # the job's failure, recorded with its reason
            return record_failure(job.id, exc)

    # dismissal ---------------------------------------------------------------------------
    def dismiss(self, job: Job) -> None:
        """Cancel the Prefect run, undo what it published, mark it dismissed, remove its
        results."""
        if job.flow_run_id and not job.final:
            try:
                with temporary_settings(updates=FAIL_FAST), get_client(sync_client=True) as c:
                    c.set_flow_run_state(uuid.UUID(job.flow_run_id), Cancelling(), force=True)
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
