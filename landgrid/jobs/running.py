"""The jobs a process is running: a heartbeat per run, and a stop signal for each.

One ``RunningJobs`` per process (a worker, a web process running sync jobs). Every
``interval`` seconds one statement beats for all the runs it tracks; the rows it could not
beat (the job was dismissed, or ended by the reconciler) tell those runs to stop. A run sees
the signal at its next ``Stop.check()``, which the computations call inside their loops, or
at once when it waits (``Stop.wait``). A run whose thread died stops beating, whatever
became of its process, and the reconciler fails its job after ``heartbeat_timeout``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from landgrid.jobs.store import JobStore

LOGGER = logging.getLogger(__name__)


class JobStopped(Exception):
    """Raised in a run whose job was dismissed (or ended elsewhere) meanwhile: the run
    stops there and records nothing more."""


class Stop:
    """The stop signal of one run."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``JobStopped`` once the job must stop; costs nothing otherwise."""
        if self._event.is_set():
            raise JobStopped(self.job_id)

    def wait(self, seconds: float) -> None:
        """Sleep, woken by the stop signal."""
        if self._event.wait(seconds):
            raise JobStopped(self.job_id)


class RunningJobs:
    def __init__(self, store: JobStore, interval: float, service: str | None = None) -> None:
        """``service``: also beat this process as a service of that name (``/health``)."""
        self.store = store
        self.interval = interval
        self.service = service
        self._stops: dict[str, Stop] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextmanager
    def track(self, job_id: str) -> Iterator[Stop]:
        """Beat for ``job_id`` while the block runs; the block gets the run's ``Stop``."""
        self.start()
        stop = Stop(job_id)
        with self._lock:
            self._stops[job_id] = stop
        try:
            yield stop
        finally:
            with self._lock:
                self._stops.pop(job_id, None)

    def stop(self, job_id: str) -> None:
        """Stop the run of ``job_id`` if it runs here (a dismissal in this process)."""
        with self._lock:
            stop = self._stops.get(job_id)
        if stop is not None:
            stop.set()

    def beat(self) -> None:
        with self._lock:
            stops = dict(self._stops)
        alive = self.store.beat(list(stops))
        for job_id, stop in stops.items():
            if job_id not in alive:
                stop.set()
        if self.service:
            self.store.beat_service(self.service)

    def start(self) -> None:
        """Start beating (once per process; idempotent)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="job-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            try:
                self.beat()
            except Exception as exc:  # reported; the database restarting: beat again next time
                LOGGER.warning("job heartbeat failed: %s", str(exc).splitlines()[0])
            time.sleep(self.interval)
