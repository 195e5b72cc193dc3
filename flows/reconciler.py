"""The reconciler: repairs jobs whose record and Prefect disagree, and delivers callbacks.

State hooks keep the job table in step with Prefect in the normal case; this loop covers the
rest, every ``reconcile_interval`` seconds:

- async jobs never submitted (Prefect was down, their web process died) are submitted
  (same idempotency key), newest first, so that a new job never waits behind a backlog;
- a run Prefect says is final (completed, failed, crashed, cancelled) finishes its job; a
  run cancelled in the Prefect UI dismisses it;
- a run stuck in Pending for ``stuck_after`` seconds is scheduled again (its job never
  started), or failed; a run Running for as long whose job never started (its worker died
  between the two) is failed;
- a running job whose run is gone is failed: at once when its process was on this host and
  has exited, else when the run's beats stop for ``heartbeat_timeout`` seconds;
- sync jobs that ended while Prefect was unreachable get their flow run recorded;
- a dismissed job's run that Prefect still shows alive is cancelled (forced after
  ``heartbeat_timeout`` in Cancelling);
- subscriber callbacks are POSTed here, with a timeout and retries, so no worker waits.

A pass is bounded: it works in batches of ``reconcile_batch`` jobs, each read just before it
is worked on, until ``reconcile_budget`` seconds are spent, taking a batch of each kind in
turn; what is left waits for the next pass, which follows at once (the sweep of open jobs
resumes where it stopped, the submissions start again from the newest). Every change is
conditional on the job's state at that moment, so a job dismissed meanwhile is never
submitted and never failed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Cancelled, Cancelling, Crashed, Scheduled
from prometheus_client import REGISTRY, start_http_server
from sqlalchemy.exc import SQLAlchemyError

from flows.client import PREFECT_ERRORS, prefect_client, refusal
from flows.dispatch import Dispatcher
from flows.runner import INTERNAL, JobRunner
from landgrid.jobs.callbacks import CallbackFailed, CallbackPolicy, deliver
from landgrid.jobs.census import JobCensus
from landgrid.jobs.documents import document, status_info
from landgrid.jobs.logbook import install as install_logbook
from landgrid.jobs.model import Job
from landgrid.jobs.store import Cursor, now
from landgrid.observability.logs import bind_job, configure
from landgrid.observability.metrics import (
    CALLBACKS,
    RECONCILER_ERRORS,
    RECONCILER_PASSES,
    RECONCILER_REPAIRS,
)
from landgrid.settings import Settings

LOGGER = logging.getLogger("landgrid.reconciler")
NOTIFY_TIMEOUT = 5
RUNS_PER_CALL = 200  # Prefect's maximum page size
BACKLOG_PAUSE = 0.5  # seconds between passes while a backlog is left
LIVE = (StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED)


def process_alive(runner: str | None) -> bool | None:
    """True/False for a ``host:pid`` on this host; None when it cannot be known here."""
    if not runner or ":" not in runner:
        return None
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Reconciler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dispatcher = Dispatcher(JobRunner(settings))
        self.store = self.dispatcher.store
        self.batch = settings.reconcile_batch
        self.stuck = timedelta(seconds=settings.stuck_after)
        self.silence = timedelta(seconds=settings.heartbeat_timeout)
        # a new async job is submitted by its web process in the background; leave it that
        # long before submitting it from here (a second submission would be harmless, the
        # idempotency key makes it the same run, but costs Prefect calls in a burst)
        self.grace = timedelta(seconds=2 * settings.reconcile_interval)
        self.callbacks = CallbackPolicy.from_settings(settings)
        self.sweep_after: Cursor | None = None  # where the sweep of open jobs resumes
        self.beats_since = now()  # beats are judged only over time the database was up

    def run_forever(self) -> None:
        while True:
            pause = self.settings.reconcile_interval
            try:
                self.store.beat_service("reconciler")
                with RECONCILER_PASSES.time():
                    if self.reconcile():
                        pause = BACKLOG_PAUSE  # work is left: the next pass goes on with it
                    self.notify()
                self.dispatcher.runner.catalogue.refresh_results()  # records missed
            except PREFECT_ERRORS as exc:
                RECONCILER_ERRORS.labels("prefect").inc()
                LOGGER.warning("Prefect unreachable: %s", exc)
            except SQLAlchemyError as exc:  # the database restarting: try again next pass
                RECONCILER_ERRORS.labels("database").inc()
                LOGGER.warning("job database unreachable: %s", str(exc).splitlines()[0])
                self.beats_since = now()  # beats could not be written meanwhile either
            time.sleep(pause)

    # one pass ----------------------------------------------------------------------------
    def reconcile(self) -> bool:
        """Batches of each kind in turn until none is left or the budget is spent; True
        when work is left for the next pass."""
        deadline = time.monotonic() + self.settings.reconcile_budget
        started = self.store.database_started()
        self.beats_since = max(self.beats_since, started)
        kinds: list[Callable[[SyncPrefectClient, float], bool]] = [
            self.submit_batch(),
            self.sweep_batch,
            self.mirror_batch,
            self.cancel_batch,
        ]
        with prefect_client(self.settings, fail_fast=True) as client:
            while kinds and time.monotonic() < deadline:
                kinds = [kind for kind in kinds if kind(client, deadline)]
        return time.monotonic() >= deadline

    def submit_batch(self) -> Callable[[SyncPrefectClient, float], bool]:
        """Unsubmitted async jobs, newest first, a batch per call; False once none is left
        (each pass starts again from the newest)."""
        cursor: list[Cursor | None] = [None]

        def batch(client: SyncPrefectClient, deadline: float) -> bool:
            jobs = self.store.unsubmitted(now() - self.grace, cursor[0], self.batch)
            for job in jobs:
                if time.monotonic() > deadline:
                    return False
                if self.dispatcher.submit_now(job, client):  # re-reads it: never a dismissed one
                    self.repaired("submitted", job, "submitted to Prefect")
            if jobs:
                cursor[0] = (jobs[-1].created, jobs[-1].id)
            return len(jobs) == self.batch

        return batch

    def sweep_batch(self, client: SyncPrefectClient, deadline: float) -> bool:
        """The next batch of open jobs (oldest first, resuming where the last pass
        stopped), checked against their flow runs; False at the end of the table."""
        jobs = self.store.open_page(self.sweep_after, self.batch)
        if not jobs:
            self.sweep_after = None
            return False
        runs = self.read_runs(client, [job.flow_run_id for job in jobs if job.flow_run_id])
        for job in jobs:
            if time.monotonic() > deadline:
                return False
            self.guarded(lambda job=job: self.repair(client, job, runs), job)
            self.sweep_after = (job.created, job.id)
        if len(jobs) < self.batch:
            self.sweep_after = None
            return False
        return True

    def mirror_batch(self, client: SyncPrefectClient, deadline: float) -> bool:
        """Sync jobs whose flow run does not show their end yet (Prefect was down)."""
        jobs = self.store.unmirrored(self.batch)
        for job in jobs:
            if time.monotonic() > deadline:
                return False
            self.guarded(lambda job=job: self.mirror(client, job), job)
        return False  # one batch per pass: a refusal is marked, an outage stops the pass

    def cancel_batch(self, client: SyncPrefectClient, deadline: float) -> bool:
        """Dismissed async jobs whose run Prefect may still show alive."""
        jobs = self.store.uncancelled(self.batch)
        runs = self.read_runs(client, [job.flow_run_id for job in jobs if job.flow_run_id])
        for job in jobs:
            if time.monotonic() > deadline:
                return False
            self.guarded(lambda job=job: self.cancel(client, job, runs.get(job.flow_run_id)), job)
        return False

    def guarded(self, repair: Callable[[], object], job: Job) -> None:
        """One job's repair: a refusal or a bug there is logged and the pass goes on; an
        engine or database outage ends the pass. Its log lines name the job."""
        try:
            with bind_job(job.id, job.process_id, job.owner):
                repair()
        except PREFECT_ERRORS as exc:
            if (reason := refusal(exc)) is None:
                raise
            LOGGER.warning("job %s: Prefect refused the repair: %s", job.id, reason)
        except SQLAlchemyError:
            raise
        except Exception:  # reported: one job must not stop the repair of the others
            LOGGER.exception("job %s: repair failed", job.id)

    # repairs -----------------------------------------------------------------------------
    def runner_lost(self, job: Job) -> str | None:
        """Why the run of ``job`` is known to be gone, if it is."""
        if job.status != "running":
            return None
        if process_alive(job.runner) is False:
            return "the process running it stopped"
        beat = max(job.heartbeat or job.started or job.created, self.beats_since)
        silent = now() - beat
        if silent > self.silence:
            return f"no heartbeat from its run ({job.runner}) for {silent.total_seconds():.0f} s"
        return None

    @staticmethod
    def read_runs(client: SyncPrefectClient, ids: list[str]) -> dict[str, FlowRun]:
        """The flow runs of a batch of jobs, a page of ids per call (not one call per job:
        during a burst hundreds of jobs are open)."""
        runs: dict[str, FlowRun] = {}
        for start in range(0, len(ids), RUNS_PER_CALL):
            page = [uuid.UUID(i) for i in ids[start : start + RUNS_PER_CALL]]
            found = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=page)),
                sort=FlowRunSort.ID_DESC,  # the server rejects a missing sort (422)
                limit=RUNS_PER_CALL,
            )
            runs.update({str(run.id): run for run in found})
        return runs

    def repair(self, client: SyncPrefectClient, job: Job, runs: dict[str, FlowRun]) -> None:
        age = now() - (job.updated or job.created)
        lost = self.runner_lost(job)
        if job.flow_run_id is None:
            if lost:
                self.fail(job, f"crashed: {lost}", "runner-lost")
            elif job.mode == "sync" and job.status == "accepted" and age > self.stuck:
                self.fail(job, "lost: the web process ended before the job started", "sync-lost")
            return  # unsubmitted async jobs: ``submit_batch``
        run = runs.get(job.flow_run_id)
        if run is None:
            self.fail(job, "lost: its Prefect flow run was deleted", "run-deleted")
            return
        state = run.state.type if run.state else None
        message = (run.state.message or "") if run.state else ""
        # time in its current state: a run that waited long in a backlog (Scheduled) and was
        # just claimed is not stuck in Pending
        in_state = now() - run.state.timestamp if run.state else age
        if state == StateType.COMPLETED:
            self.fail(job, "the flow completed without recording results", "run-final")
        elif state in (StateType.FAILED, StateType.CRASHED):
            self.fail(job, f"{state.value.lower()}: {message}", "run-final")
        elif state in (StateType.CANCELLED, StateType.CANCELLING):
            # cancelled in the Prefect UI: the job is dismissed, its run stops at its next
            # beat (``cancel_batch`` forces Cancelled if it does not)
            if self.store.finish(job.id, "dismissed", "cancelled in Prefect") is not None:
                self.repaired("cancelled-in-prefect", job, "dismissed: its run was cancelled")
        elif state == StateType.PENDING and in_state > self.stuck:
            if job.status == "accepted":  # claimed, never started: another worker may
                client.set_flow_run_state(run.id, Scheduled(), force=True)
                self.repaired("stuck-pending", job, "scheduled again: stuck in Pending")
            else:
                self.crash(client, run.id, job, "stuck in Pending: the worker never started it")
        elif state == StateType.RUNNING and job.status == "accepted" and in_state > self.stuck:
            # its worker died between starting the run and starting the job
            self.crash(client, run.id, job, "the worker stopped before the job started")
        elif state == StateType.RUNNING and lost:
            self.crash(client, run.id, job, lost)

    def mirror(self, client: SyncPrefectClient, job: Job) -> None:
        self.dispatcher.flow_runs.record_missing(client, job)
        self.repaired("mirrored", job, "its Prefect flow run recorded")

    @staticmethod
    def repaired(kind: str, job: Job, what: str) -> None:
        RECONCILER_REPAIRS.labels(kind).inc()
        LOGGER.info("job %s repaired (%s): %s", job.id, kind, what)

    def fail(self, job: Job, why: str, kind: str) -> Job | None:
        """Fail the job unless it ended meanwhile (the change is conditional)."""
        failed = self.store.finish(job.id, "failed", why, {"exception": INTERNAL})
        if failed is not None:
            self.repaired(kind, job, f"failed: {why}")
        return failed

    def crash(self, client: SyncPrefectClient, run_id: uuid.UUID, job: Job, why: str) -> None:
        if self.fail(job, f"crashed: {why}", "runner-lost") is not None:
            client.set_flow_run_state(run_id, Crashed(message=why), force=True)

    def cancel(self, client: SyncPrefectClient, job: Job, run: FlowRun | None) -> None:
        """A dismissed job's run: cancel it if Prefect shows it alive (the dismissal could
        not reach Prefect), force it out of a Cancelling that lasts; then it is settled."""
        state = run.state if run else None
        if state is not None and state.type in LIVE:
            client.set_flow_run_state(run.id, Cancelling(message="dismissed"), force=True)
            return
        if state is not None and state.type == StateType.CANCELLING:
            if now() - state.timestamp < self.silence:
                return  # its run may still be stopping by itself
            client.set_flow_run_state(
                run.id, Cancelled(message="forced by the reconciler"), force=True
            )
        self.store.set(job.id, mirrored="dismissed")

    def notify(self) -> None:
        for job in self.store.pending_notifications():
            uri = (job.subscriber or {}).get(
                {"running": "inProgressUri", "successful": "successUri", "failed": "failedUri"}.get(
                    job.status, ""
                )
            )
            if not uri:
                self.store.set(job.id, notified=job.status)
                continue
            body = status_info(job, self.settings.url)
            if job.status == "successful":
                body = document(job, self.settings.url)
            try:  # checked again, to the checked address, no redirects (SSRF)
                deliver(self.callbacks, uri, body, NOTIFY_TIMEOUT)
            except CallbackFailed as exc:
                CALLBACKS.labels("failed").inc()
                with bind_job(job.id, job.process_id, job.owner):
                    LOGGER.info("callback for job %s to %s failed: %s", job.id, uri, exc)
                self.store.notification_failed(job)
            else:
                CALLBACKS.labels("delivered").inc()
                with bind_job(job.id, job.process_id, job.owner):
                    LOGGER.info("callback for job %s (%s) delivered", job.id, job.status)
                self.store.set(job.id, notified=job.status, notify_attempts=0, notify_after=None)


def main() -> None:
    settings = Settings()
    configure(settings.log_format, "reconciler")
    reconciler = Reconciler(settings)
    install_logbook(reconciler.store, "reconciler")
    REGISTRY.register(JobCensus(reconciler.store))  # the job table's gauges: exported here only
    start_http_server(settings.reconciler_metrics_port, settings.host)  # /metrics
    reconciler.run_forever()


if __name__ == "__main__":
    main()
