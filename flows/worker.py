"""A long-lived Prefect worker that runs flow runs in threads of one warm process.

Prefect's stock process worker starts a fresh Python for every run (~6 s here, most of it
imports); our jobs are small and frequent, so this worker keeps the imports loaded and runs
each flow run with Prefect's own engine (``run_flow``) in a thread pool. It claims a run the
way stock workers do (proposing ``Pending``; a rejected proposal means another worker has
it), heartbeats to the work pool, and records nothing itself: state, logs and hooks are
Prefect's, the job record is the flow's.

Every run beats (``landgrid.jobs.running``): a dismissed job's run gets its stop signal at
the next beat and stops at the next checkpoint of its computation, then ends ``Cancelled``
(threads cannot be killed, so the computations check inside their loops). A run that dies
stops beating; a worker that dies takes its runs with it: the reconciler sees the dead
process (or the end of the runs' beats, from any host) and fails those jobs. Prefect being
unreachable pauses the polling, it does not end the worker.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

from prefect import flow_engine
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.flow_engine import run_flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Cancelled, Pending, Scheduled
from prometheus_client import start_http_server

from flows.client import PREFECT_ERRORS, prefect_client, prefect_settings
from flows.ogc_process import ogc_process
from flows.runner import JobRunner, install
from landgrid.jobs.logbook import install as install_logbook
from landgrid.observability.logs import bind, configure
from landgrid.observability.metrics import WORKER_BUSY, WORKER_RUNS, WORKER_SLOTS
from landgrid.settings import Settings

LOGGER = logging.getLogger("landgrid.worker")


@contextmanager
def _no_suspension_observer(*_: object, **__: object) -> Iterator[None]:
    yield


# Prefect 3.8 watches every deployment run for `suspend_flow_run` requests with a thread, an
# event loop and a websocket subscription of its own, set up before the flow starts and
# joined after it ends. Our flows never suspend; the watch cost more than a trivial run.
flow_engine.observe_flow_run_suspension = _no_suspension_observer
HEARTBEAT_SECONDS = 10


class Worker:
    def __init__(self, settings: Settings, threads: int | None = None) -> None:
        self.settings = settings
        self.name = f"landgrid-{socket.gethostname()}"
        self.pool = ThreadPoolExecutor(
            threads or settings.worker_threads, thread_name_prefix="flow-run"
        )
        self.slots = threads or settings.worker_threads
        WORKER_SLOTS.set(self.slots)
        self.running: dict[str, Future] = {}
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.backlog: list[FlowRun] = []  # scheduled runs listed at the last poll
        self.listed = 0.0

    def free_slots(self) -> int:
        self.running = {k: f for k, f in self.running.items() if not f.done()}
        WORKER_BUSY.set(len(self.running))
        return self.slots - len(self.running)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def serve(self) -> None:
        last_beat, pause = 0.0, 0.0
        with prefect_client(self.settings) as client:
            while not self.stopping.is_set():
                self.wake.clear()
                try:
                    if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                        client.send_worker_heartbeat(
                            self.settings.work_pool,
                            self.name,
                            heartbeat_interval_seconds=HEARTBEAT_SECONDS,
                        )
                        last_beat = time.monotonic()
                    self.claim(client)
                    pause = 0.0
                except PREFECT_ERRORS as exc:  # Prefect restarting: poll again, more slowly
                    pause = min(max(2 * pause, 1.0), 10.0)
                    LOGGER.warning("Prefect unreachable, next poll in %.0f s: %s", pause, exc)
                # next poll after the interval, or as soon as a run ends and frees a slot:
                # a backlog drains at the speed of the runs, not of the polling
                self.wake.wait(pause or self.settings.worker_poll)
        self.pool.shutdown(wait=True, cancel_futures=False)

    def claim(self, client: SyncPrefectClient) -> None:
        """Hand scheduled runs to free threads; each thread claims its run (proposes
        ``Pending``) itself, so that claims do not queue behind one another here. One poll
        feeds several hand-overs: Prefect is asked again only when the runs it listed last
        are used up or older than the poll interval (a listing costs its server more than a
        claim)."""
        free = self.free_slots()
        if free <= 0:
            return
        if not self.backlog or time.monotonic() - self.listed > self.settings.worker_poll:
            scheduled = client.get_scheduled_flow_runs_for_work_pool(
                self.settings.work_pool, scheduled_before=datetime.now(UTC)
            )
            self.backlog = [response.flow_run for response in scheduled]
            self.listed = time.monotonic()
        while self.backlog and free > 0:
            flow_run = self.backlog.pop(0)
            if str(flow_run.id) in self.running:
                continue  # handed over earlier, not yet Pending
            future = self.pool.submit(self.execute, flow_run)
            future.add_done_callback(lambda _: self.wake.set())
            self.running[str(flow_run.id)] = future
            free -= 1
        WORKER_BUSY.set(len(self.running))

    def execute(self, flow_run: FlowRun) -> None:
        """Claim the run the way stock workers do (a rejected ``Pending`` means another
        worker has it, or it was cancelled meanwhile), then run it with Prefect's engine.

        Prefect's flow heartbeats are off: joining their thread costs up to 1 s per run,
        and the run's own beat (``landgrid.jobs.running``) already tells the reconciler
        when the run or this worker is gone, from any host."""
        job_id, process_id = flow_run.parameters["job_id"], flow_run.parameters["process_id"]
        with bind(job_id=job_id, process_id=process_id):
            try:
                with prefect_client(self.settings) as client:
                    claim = client.set_flow_run_state(flow_run.id, Pending())
                if claim.status != SetStateStatus.ACCEPT:
                    WORKER_RUNS.labels("lost-claim").inc()
                    return
                WORKER_RUNS.labels("ran").inc()
                LOGGER.info("job %s: flow run %s claimed by %s", job_id, flow_run.id, self.name)
                no_beats = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
                with prefect_settings(self.settings), temporary_settings(updates=no_beats):
                    state = run_flow(
                        ogc_process,
                        flow_run=flow_run,
                        parameters=flow_run.parameters,
                        return_type="state",
                    )
                if state.is_cancelling():  # the run ended, whatever it proposed: it is over
                    with prefect_client(self.settings) as client:
                        client.set_flow_run_state(
                            flow_run.id, Cancelled(message="the job was dismissed"), force=True
                        )
            except BaseException:  # the engine recorded the state (else the reconciler will)
                LOGGER.exception("job %s: flow run %s ended with an error", job_id, flow_run.id)
                self.hand_back(flow_run)

    def hand_back(self, flow_run: FlowRun) -> None:
        """A run that failed before its flow started (Prefect or its database restarting
        while it was claimed) goes back to Scheduled, for this or another worker."""
        try:
            with prefect_client(self.settings) as client:  # with the client's retries
                if client.read_flow_run(flow_run.id).state_type == StateType.PENDING:
                    client.set_flow_run_state(flow_run.id, Scheduled(), force=True)
                    LOGGER.info("flow run %s handed back (Scheduled)", flow_run.id)
        except PREFECT_ERRORS as exc:  # the reconciler reschedules it after stuck_after
            LOGGER.warning("could not hand back flow run %s: %s", flow_run.id, exc)


def main() -> None:
    settings = Settings()
    configure(settings.log_format, "worker")
    runner = install(JobRunner(settings, service="worker"))
    install_logbook(runner.store, "worker")
    start_http_server(settings.worker_metrics_port, settings.host)  # /metrics
    worker = Worker(settings)
    runner.running.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    LOGGER.info("worker %s polling pool %s", worker.name, worker.settings.work_pool)
    worker.serve()


if __name__ == "__main__":
    main()
