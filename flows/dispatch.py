"""Jobs from request to Prefect: record, submit or run, dismiss.

Submission order: validate (done by the caller), record the job (our table is the source of
truth for clients; its inputs stay there, Prefect gets the job id), then hand it to Prefect.
Async jobs go to a worker as a Scheduled run of their deployment, with the job id as
idempotency key and flow-run name, so a retried submission never makes a second run. Sync
jobs run the same job body directly in a thread of the web process, mirrored as a Prefect
flow run beside the request (``flows.flowruns``); one that outlives its wait budget simply
carries on and the client gets 201 + Location instead, as for an async job.

A submission Prefect refuses (4xx) fails the job with Prefect's reason; only an engine
that is unavailable leaves it ``accepted`` for the reconciler to submit later.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

from prefect.client.orchestration import SyncPrefectClient
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, Cancelling

from flows.client import PREFECT_ERRORS, prefect_client, refusal
from flows.flowruns import FlowRuns
from flows.ogc_process import FLOW_NAME
from flows.runner import INTERNAL, JobRunner
from landgrid.auth.access import Caller
from landgrid.jobs.model import Job
from landgrid.jobs.request import ExecuteRequest
from landgrid.jobs.running import JobStopped
from landgrid.jobs.store import JobLimits, now, this_runner
from landgrid.observability.logs import bind_job

LOGGER = logging.getLogger(__name__)
SUBMITTERS = 2  # Prefect's server is the bottleneck of a burst, not parallel submissions


class Dispatcher:
    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner
        self.settings = runner.settings
        self.store = runner.store
        self.registry = runner.registry
        self.flow_runs = FlowRuns(self.store, self.settings)
        self.limits = JobLimits(self.settings.max_jobs_per_user, self.settings.max_jobs)
        self._sync_pool: ThreadPoolExecutor | None = None
        self._submitter: ThreadPoolExecutor | None = None

    # submission --------------------------------------------------------------------------
    def record(
        self,
        process_id: str,
        request: ExecuteRequest,
        caller: Caller,
        idempotency_key: str | None,
        mode: str,
    ) -> tuple[Job, bool]:
        """Record a new job of ``caller`` (their identity and roles, which its run reads
        with); an idempotency key already used by this owner gives that job. Raises
        ``JobLimitReached`` beyond the fair-share limits. A sync job is recorded as started
        (this process runs it now): one commit less."""
        started = {"status": "accepted", "message": "accepted"}
        if mode == "sync":
            started = {
                "status": "running",
                "message": "running",
                "started": now(),
                "runner": this_runner(),
                "heartbeat": now(),
            }
        job = Job(
            id=str(uuid.uuid4()),
            process_id=process_id,
            owner=caller.identity,
            grants=caller.grants,
            mode=mode,
            progress=0,
            **started,
            inputs=request.inputs,
            requested_outputs=request.outputs or None,
            response=request.response,
            subscriber=request.subscriber,
            idempotency_key=idempotency_key,
        )
        job, new = self.store.create(job, self.limits)
        if new:
            with bind_job(job.id, process_id, job.owner):
                LOGGER.info("job %s accepted: %s, %s", job.id, process_id, mode)
        return job, new

    def submit_async(self, job: Job) -> None:
        """Submit in the background: the client's 201 does not wait for Prefect, and the
        web threads stay free for status polls while a burst of jobs is handed over. If
        this process dies first, the reconciler submits the job (it is ``accepted``
        without a run)."""
        if self._submitter is None:
            self._submitter = ThreadPoolExecutor(SUBMITTERS, thread_name_prefix="submit")
        self._submitter.submit(self.submit_now, job)

    def submit_now(self, job: Job, client: SyncPrefectClient | None = None) -> bool:
        """Hand the job to a Prefect worker, unless it was dismissed meanwhile. With
        Prefect unavailable the job stays ``accepted`` (the reconciler submits it when
        Prefect is back, same run id); a refusal fails it with Prefect's reason."""
        with bind_job(job.id, job.process_id, job.owner):
            return self._submit(job, client)

    def _submit(self, job: Job, client: SyncPrefectClient | None) -> bool:
        if self.store.status(job.id) != "accepted":
            return False  # dismissed (or submitted) since it was read: never run it
        try:
            if client is None:
                with prefect_client(self.settings, fail_fast=True) as own:
                    return self._schedule(own, job)
            return self._schedule(client, job)
        except ObjectNotFound:  # a process without a deployment: never runnable as it is
            self.fail(
                job,
                f"no Prefect deployment {FLOW_NAME}/{job.process_id}: the operator must "
                "apply the deployments (python -m flows.deployments)",
            )
            return False
        except PREFECT_ERRORS as exc:
            if reason := refusal(exc):
                self.fail(job, f"the workflow engine refused the job: {reason}")
                return False
            LOGGER.warning("Prefect unreachable, job %s queued: %s", job.id, exc)
            self.store.update(job.id, message="queued: waiting for the workflow engine")
            return False

    def _schedule(self, client: SyncPrefectClient, job: Job) -> bool:
        run_id = self.flow_runs.schedule(client, job)
        if not self.store.update(job.id, flow_run_id=str(run_id), message="queued"):
            # dismissed while we submitted: its run must not run
            client.set_flow_run_state(run_id, Cancelled(message="dismissed"), force=True)
            self.store.set(job.id, flow_run_id=str(run_id), mirrored="dismissed")
            return False
        LOGGER.info("job %s queued in Prefect: flow run %s", job.id, run_id)
        return True

    def fail(self, job: Job, reason: str) -> None:
        LOGGER.warning("job %s failed at submission: %s", job.id, reason)
        self.store.finish(job.id, "failed", reason, {"exception": INTERNAL})

    def run_sync(self, job: Job, wait_seconds: float) -> Job:
        """Run the job here; return it as it stands after at most ``wait_seconds``."""
        if self._sync_pool is None:
            self._sync_pool = ThreadPoolExecutor(
                self.settings.sync_threads, thread_name_prefix="sync-job"
            )
        execution = self._sync_pool.submit(self._execute_here, job)
        self.flow_runs.follow(job, execution)
        done, _ = wait([execution], timeout=wait_seconds)
        return (done and execution.result()) or self.store.get(job.id) or job

    def _execute_here(self, job: Job) -> Job | None:
        """The job as it ended (None if something else ended it, e.g. a dismissal)."""
        try:
            return self.runner.execute(job)
        except JobStopped:
            return None  # the job record already says dismissed
        except Exception as exc:  # the job's failure, recorded with its reason
            return self.runner.record_failure(job.id, exc)

    # dismissal ---------------------------------------------------------------------------
    def dismiss(self, job: Job) -> None:
        """Set its Prefect run Cancelling, then mark the job dismissed (its run stops at its
        next beat, at once when it runs in this process, and ends Cancelled: in this order,
        so that Cancelling never comes after the end), undo what it published, remove its
        results. A run Prefect could not be told about is cancelled by the reconciler."""
        with bind_job(job.id, job.process_id, job.owner):
            LOGGER.info("job %s dismissed", job.id)
            self._dismiss(job)

    def _dismiss(self, job: Job) -> None:
        if job.flow_run_id and not job.final:
            try:
                with prefect_client(self.settings, fail_fast=True) as client:
                    client.set_flow_run_state(uuid.UUID(job.flow_run_id), Cancelling(), force=True)
            except (ObjectNotFound, *PREFECT_ERRORS) as exc:
                LOGGER.warning("could not cancel flow run of job %s: %s", job.id, exc)
        self.store.set(
            job.id,
            status="dismissed",
            message="dismissed",
            results=None,
            finished=job.finished or now(),
            updated=now(),
        )
        self.runner.running.stop(job.id)
        if job.process_id in self.registry.definitions():  # what it published beyond results
            processor = self.registry.processor(job.process_id, self.runner.job_context(job))
            processor.cleanup(job)
        self.runner.catalogue.withdraw(job.id)
        self.runner.results.remove(job.id)
