"""The reconciler: repairs jobs whose record and Prefect disagree, and delivers callbacks.

State hooks keep the job table in step with Prefect in the normal case; this loop covers the
rest, every ``reconcile_interval`` seconds:

- async jobs never submitted (Prefect was down) are submitted (same idempotency key);
- a run Prefect says is final (completed, failed, crashed, cancelled) finishes its job;
- a run stuck in Pending or Cancelling is failed (and its run set Crashed / Cancelled) after
  ``stuck_after`` seconds;
- a running job whose process is gone is failed: at once when that process was on this
  host, else when its heartbeats (``heartbeat_interval``) stop for ``stuck_after`` seconds;
- sync jobs that ended while Prefect was unreachable get their flow run recorded;
- subscriber callbacks are POSTed here, with a timeout and retries, so no worker waits.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

import requests
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.states import Cancelled, Crashed
from sqlalchemy.exc import SQLAlchemyError

from flows.client import PREFECT_DOWN, prefect_client
from flows.dispatch import Dispatcher
from flows.runner import INTERNAL, JobRunner
from landgrid.jobs.documents import document, status_info
from landgrid.jobs.model import Job
from landgrid.jobs.store import now
from landgrid.settings import Settings

LOGGER = logging.getLogger("landgrid.reconciler")
NOTIFY_TIMEOUT = 5
RUNS_PER_CALL = 200  # Prefect's maximum page size


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
        self.stuck = timedelta(seconds=settings.stuck_after)
        # a new async job is submitted by its web process in the background; leave it that
        # long before submitting it from here (a second submission would be harmless, the
        # idempotency key makes it the same run, but costs Prefect calls in a burst)
        self.grace = timedelta(seconds=2 * settings.reconcile_interval)

    def run_forever(self) -> None:
        while True:
            try:
                self.reconcile()
                self.notify()
                self.dispatcher.runner.catalogue.refresh_results()  # records missed
            except PREFECT_DOWN as exc:
                LOGGER.warning("Prefect unreachable: %s", exc)
            except SQLAlchemyError as exc:  # the database restarting: try again next pass
                LOGGER.warning("job database unreachable: %s", exc)
            time.sleep(self.settings.reconcile_interval)

    def reconcile(self) -> None:
        jobs, unmirrored = self.store.open_jobs(), self.store.unmirrored()
        if not jobs and not unmirrored:
            return
        with prefect_client(self.settings) as client:
            runs = self.read_runs(client, [job.flow_run_id for job in jobs if job.flow_run_id])
            for job in jobs:
                self.repair(client, job, runs)
            for job in unmirrored:
                self.dispatcher.flow_runs.record_missing(client, job)

    def runner_lost(self, job: Job) -> str | None:
        """Why the process running ``job`` is known to be gone, if it is."""
        if job.status != "running":
            return None
        if process_alive(job.runner) is False:
            return "the process running it stopped"
        beat = job.heartbeat or job.started or job.created
        if now() - beat > self.stuck:
            return f"no heartbeat from the process running it ({job.runner}) for {self.stuck}"
        return None

    @staticmethod
    def read_runs(client: SyncPrefectClient, ids: list[str]) -> dict[str, FlowRun]:
        """The flow runs of the open jobs, a page of ids per call (not one call per job:
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
            if job.mode == "async" and job.status == "accepted" and age > self.grace:
                self.dispatcher.submit_now(job)  # its web process could not (or died first)
            elif lost:
                self.store.finish(job.id, "failed", f"crashed: {lost}", {"exception": INTERNAL})
            elif job.mode == "sync" and job.status == "accepted" and age > self.stuck:
                self.store.finish(
                    job.id,
                    "failed",
                    "lost: the web process ended before the job started",
                    {"exception": INTERNAL},
                )
            return
        run = runs.get(job.flow_run_id)
        if run is None:
            self.store.finish(
                job.id, "failed", "lost: its Prefect flow run was deleted", {"exception": INTERNAL}
            )
            return
        state = run.state.type if run.state else None
        message = (run.state.message or "") if run.state else ""
        # time in its current state: a run that waited long in a backlog (Scheduled) and was
        # just claimed is not stuck in Pending
        in_state = now() - run.state.timestamp if run.state else age
        if state == StateType.COMPLETED:
            self.store.finish(
                job.id,
                "failed",
                "the flow completed without recording results",
                {"exception": INTERNAL},
            )
        elif state in (StateType.FAILED, StateType.CRASHED):
            self.store.finish(
                job.id, "failed", f"{state.value.lower()}: {message}", {"exception": INTERNAL}
            )
        elif state == StateType.CANCELLED:
            self.store.finish(job.id, "dismissed", "cancelled in Prefect")
        elif state == StateType.CANCELLING and in_state > self.stuck:
            client.set_flow_run_state(
                run.id, Cancelled(message="forced by the reconciler"), force=True
            )
            self.store.finish(job.id, "dismissed", "cancelled (forced after a stuck cancel)")
        elif state == StateType.PENDING and in_state > self.stuck:
            self.crash(client, run.id, job, "stuck in Pending: the worker never started it")
        elif state == StateType.RUNNING and lost:
            self.crash(client, run.id, job, lost)

    def crash(self, client: SyncPrefectClient, run_id: uuid.UUID, job: Job, why: str) -> None:
        client.set_flow_run_state(run_id, Crashed(message=why), force=True)
        self.store.finish(job.id, "failed", f"crashed: {why}", {"exception": INTERNAL})

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
            try:
                requests.post(
                    uri, json=body, timeout=NOTIFY_TIMEOUT, allow_redirects=False
                ).raise_for_status()
            except requests.RequestException as exc:
                LOGGER.info("callback for job %s to %s failed: %s", job.id, uri, exc)
                self.store.notification_failed(job)
            else:
                self.store.set(job.id, notified=job.status, notify_attempts=0, notify_after=None)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    Reconciler(Settings()).run_forever()


if __name__ == "__main__":
    main()
