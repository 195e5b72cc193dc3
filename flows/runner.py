"""Runs a started job: its process, bound to the job, then its results in the job record.

The same code runs a job in a flow run on a worker and a synchronous job directly in a web
process. One ``JobRunner`` per process, built from that process's settings at its edge (the
worker's ``main``, ``create_app``); the flow finds it through ``installed()``.

While a job runs, its run beats (``landgrid.jobs.running``): a dismissed job gets its stop
signal at the next beat and its computation stops at its next checkpoint. Progress reports
are best effort (a database restart skips some), the final record is durable (retried
across a restart).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flows.tiles import tile_runner
from landgrid.auth.access import Caller, CollectionAccess
from landgrid.auth.policy import Policy
from landgrid.catalog import Catalog
from landgrid.catalogue.refresh import Catalogue
from landgrid.db import database_down
from landgrid.errors import ApiError
from landgrid.features.settings import FeatureSettings
from landgrid.guards import Limits
from landgrid.jobs.model import Job
from landgrid.jobs.results import ResultStore
from landgrid.jobs.running import JobStopped, RunningJobs, Stop
from landgrid.jobs.store import JobStore, durable, this_runner
from landgrid.observability.logs import bind, bind_job
from landgrid.settings import Settings
from processes.base import FileOutput, ProcessContext
from processes.registry import ProcessRegistry

LOGGER = logging.getLogger(__name__)
INTERNAL = {"type": "NoApplicableCode", "status": 500}
STORAGE = {"type": "ServiceUnavailable", "status": 503}


class JobRunner:
    def __init__(
        self,
        settings: Settings,
        store: JobStore | None = None,
        registry: ProcessRegistry | None = None,
        catalog: Catalog | None = None,
        features: FeatureSettings | None = None,
        limits: Limits | None = None,
        access: CollectionAccess | None = None,
        service: str | None = None,
    ) -> None:
        """``service``: the name this process beats under (``worker``), if any."""
        self.settings = settings
        self.store = store or JobStore(settings.db_url())
        self.results = ResultStore(settings)
        self.registry = registry or ProcessRegistry(settings.pygeoapi_config)
        self.catalog = catalog or Catalog(settings)
        self.features = features or FeatureSettings()
        self.limits = limits or Limits()
        self.access = access or CollectionAccess(
            Policy.load(settings.auth_policy), self.catalog, settings.auth_mode == "open"
        )
        self.running = RunningJobs(self.store, settings.heartbeat_interval, service)
        self.catalogue = Catalogue(settings, self.catalog, self.features)

    def context(
        self, caller: Caller, job_id: str | None = None, stop: Stop | None = None
    ) -> ProcessContext:
        """What a process run for ``caller`` may use: the catalog as they see it (the same
        read check as the HTTP paths), the limits, the job's folder (``job_id``), its stop
        signal (``stop``)."""
        context = ProcessContext(
            settings=self.settings,
            catalog=self.access.catalog_for(caller),
            features=self.features,
            caller=caller,
            workdir=self.results.workdir(job_id) if job_id else None,
            limits=self.limits,
            run_tiles=tile_runner(self.settings),
        )
        if stop is not None:
            context.check, context.sleep = stop.check, stop.wait
        return context

    def job_context(self, job: Job, stop: Stop | None = None) -> ProcessContext:
        """The context of ``job``'s run: its caller as the job recorded them."""
        return self.context(self.access.job_caller(job.owner, job.grants), job.id, stop)

    def start(self, job_id: str, flow_run_id: str | None) -> Job | None:
        """Mark the job running (None when it was dismissed or is already done), then run it:
        the body of a flow run."""
        job = self.store.mark_running(job_id, flow_run_id=flow_run_id)
        return self.execute(job) if job is not None else None

    def execute(self, job: Job) -> Job:
        """Run a started job's process and record its results. Returns the final job; raises
        ``JobStopped`` when the job is dismissed while it runs; the process's own
        exceptions propagate."""
        with bind_job(job.id, job.process_id, job.owner):
            LOGGER.info("job %s running %s on %s", job.id, job.process_id, this_runner())
            done = self._execute(job)
            LOGGER.info("job %s %s: %s", job.id, done.status, done.message)
            return done

    def _execute(self, job: Job) -> Job:
        with self.running.track(job.id) as stop:
            context = self.job_context(job, stop)

            def report(progress: int, message: str | None) -> None:
                stop.check()
                try:
                    still_open = self.store.report(job.id, progress, message)
                except Exception as exc:
                    if not database_down(exc):
                        raise
                    LOGGER.warning("progress of job %s not recorded: %s", job.id, exc)
                    return
                if not still_open:
                    stop.set()
                    stop.check()

            context.report = report
            processor = self.registry.processor(job.process_id, context)
            processor.set_job_id(job.id)
            try:
                outputs = processor.run(job.inputs)
                stop.check()
                results = {"outputs": self.serialise(job.id, outputs)}
            finally:
                self.results.clear_scratch(job.id)
            finished = durable(
                lambda: self.store.finish(job.id, "successful", "completed", results)
            )
        if finished is None:  # ended meanwhile (dismissed): nothing more to record
            raise JobStopped(job.id)
        self.catalogue.publish(finished)  # its catalogue record, at once
        return finished

    def serialise(self, job_id: str, outputs: dict[str, Any]) -> dict[str, Any]:
        """The outputs as the job record keeps them; files go to the result store."""
        stored = {}
        files = [value.path for value in outputs.values() if isinstance(value, FileOutput)]
        self.results.keep(job_id, files)
        for name, value in outputs.items():
            if isinstance(value, FileOutput):
                key = self.results.key(job_id, value.path)
                stored[name] = {"file": key, "mediaType": value.media_type}
            else:
                stored[name] = {"value": value}
        return stored

    def record_failure(
        self, job_id: str, exc: BaseException | None, fallback: str = ""
    ) -> Job | None:
        """Fail the job with the real reason and the OGC exception type/status it maps to
        (a full or unwritable results store is the server's 503, not the client's fault)."""
        exception = INTERNAL
        reason = (str(exc) if exc else "") or (type(exc).__name__ if exc else fallback)
        if isinstance(exc, ApiError):
            exception = {"type": exc.type, "status": exc.status}
        elif isinstance(exc, OSError) and self.in_results(exc):
            LOGGER.error("job %s: cannot write its results: %s", job_id, exc)
            exception = STORAGE  # no server path in the message
            reason = f"the server cannot write the job's results ({exc.strerror or exc})"
        with bind(job_id=job_id):
            LOGGER.warning("job %s failed: %s", job_id, reason)
        failed = {"exception": exception}
        return durable(lambda: self.store.finish(job_id, "failed", f"failed: {reason}", failed))

    def in_results(self, exc: OSError) -> bool:
        """Did ``exc`` happen in the results store?"""
        where = Path(str(exc.filename or "")).resolve()
        return where.is_relative_to(self.results.root) or where.is_relative_to(
            self.results.scratch.resolve()
        )


_installed: JobRunner | None = None


def install(runner: JobRunner) -> JobRunner:
    """Make ``runner`` the one the flow uses in this process."""
    global _installed
    _installed = runner
    return runner


def installed() -> JobRunner:
    """The process's runner; a stock Prefect worker's fresh process (no ``install``) builds
    one from its environment: there the flow run is the process's edge."""
    return _installed or install(JobRunner(Settings()))
