"""A long-lived Prefect worker that runs flow runs in threads of one warm process.

Prefect's stock process worker starts a fresh Python for every run (~6 s here, most of it
imports); our jobs are small and frequent, so this worker keeps the imports loaded and runs
each flow run with Prefect's own engine (``run_flow``) in a thread pool. It claims a run the
way stock workers do (proposing ``Pending``; a rejected proposal means another worker has
it), heartbeats to the work pool, and records nothing itself: state, logs and hooks are
Prefect's, the job record is the flow's.

Cancellation is cooperative: a dismissed job's flow stops at its next progress report
(threads cannot be killed). A worker that dies takes its runs with it; the reconciler sees
the dead process (or, from another host, the end of its job heartbeats) and fails those jobs.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.responses import SetStateStatus
from prefect.flow_engine import run_flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import Pending

from flows.ogc_process import ogc_process
from landgrid.jobs import JobStore, start_heartbeat
from landgrid.settings import Settings

LOGGER = logging.getLogger("landgrid.worker")
HEARTBEAT_SECONDS = 10


class Worker:
    def __init__(self, settings: Settings, threads: int | None = None) -> None:
        self.settings = settings
        self.name = f"landgrid-{socket.gethostname()}"
        self.pool = ThreadPoolExecutor(
            threads or settings.worker_threads, thread_name_prefix="flow-run"
        )
        self.slots = threads or settings.worker_threads
        self.running: dict[str, Future] = {}
        self.stopping = threading.Event()

    def free_slots(self) -> int:
        self.running = {k: f for k, f in self.running.items() if not f.done()}
        return self.slots - len(self.running)

    def serve(self) -> None:
        last_beat = 0.0
        with get_client(sync_client=True) as client:
            while not self.stopping.is_set():
                if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                    client.send_worker_heartbeat(
                        self.settings.work_pool,
                        self.name,
                        heartbeat_interval_seconds=HEARTBEAT_SECONDS,
                    )
                    last_beat = time.monotonic()
                if self.free_slots() > 0:
                    self.claim(client)
                self.stopping.wait(self.settings.worker_poll)
        self.pool.shutdown(wait=True, cancel_futures=False)

    def claim(self, client) -> None:
        scheduled = client.get_scheduled_flow_runs_for_work_pool(
            self.settings.work_pool, scheduled_before=datetime.now(UTC)
        )
        for response in scheduled[: self.free_slots()]:
            flow_run = response.flow_run
            result = client.set_flow_run_state(flow_run.id, Pending())
            if result.status != SetStateStatus.ACCEPT:
                continue  # another worker took it, or it was cancelled meanwhile
            LOGGER.info("running flow run %s (%s)", flow_run.name, flow_run.id)
            self.running[str(flow_run.id)] = self.pool.submit(self.execute, flow_run)

    @staticmethod
    def execute(flow_run: FlowRun) -> None:
        """Prefect's flow heartbeats are off: joining their thread costs up to 1 s per run,
        and the job heartbeat (``landgrid.jobs.start_heartbeat``) already tells the
        reconciler when this worker is gone, from any host."""
        try:
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                run_flow(
                    ogc_process,
                    flow_run=flow_run,
                    parameters=flow_run.parameters,
                    return_type="state",
                )
        except BaseException:  # the engine recorded the state; keep the worker alive
            LOGGER.exception("flow run %s ended with an error", flow_run.id)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
    worker = Worker(settings)
    start_heartbeat(JobStore(settings.db_url()), settings.heartbeat_interval)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stopping.set())
    LOGGER.info("worker %s polling pool %s", worker.name, worker.settings.work_pool)
    worker.serve()


if __name__ == "__main__":
    main()
