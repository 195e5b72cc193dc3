"""Runs a started job: its process, bound to the job, then its results in the job record.

The same code runs a job in a flow run on a worker and a synchronous job directly in a web
process. One ``JobRunner`` per process, built from that process's settings at its edge (the
worker's ``main``, ``create_app``); the flow finds it through ``installed()``.
"""

from __future__ import annotations

from typing import Any

from flows.tiles import tile_runner
from landgrid.catalog import Catalog
from landgrid.catalogue.refresh import Catalogue
from landgrid.errors import ApiError
from landgrid.features.settings import FeatureSettings
from landgrid.jobs.model import Job
from landgrid.jobs.store import JobStore
from landgrid.settings import Settings
from processes.base import FileOutput, ProcessContext
from processes.registry import ProcessRegistry

INTERNAL = {"type": "NoApplicableCode", "status": 500}


class JobDismissed(Exception):
    """Raised at a progress report of a job that was dismissed meanwhile: the job stops
    there (cooperative cancellation, for runs executing in threads)."""


class JobRunner:
    def __init__(
        self,
        settings: Settings,
        store: JobStore | None = None,
        registry: ProcessRegistry | None = None,
        catalog: Catalog | None = None,
        features: FeatureSettings | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or JobStore(settings.db_url())
        self.registry = registry or ProcessRegistry(settings.pygeoapi_config)
        self.catalog = catalog or Catalog(settings)
        self.features = features or FeatureSettings()
        self.catalogue = Catalogue(settings, self.catalog, self.features)

    def context(self, owner: str = "anonymous", job_id: str | None = None) -> ProcessContext:
        """What a process of ``owner``'s job may use (``job_id``: its results folder)."""
        return ProcessContext(
            settings=self.settings,
            catalog=self.catalog,
            features=self.features,
            owner=owner,
            workdir=self.settings.results_dir / job_id if job_id else None,
            run_tiles=tile_runner(self.settings),
        )

    def start(self, job_id: str, flow_run_id: str | None) -> Job | None:
        """Mark the job running (None when it was dismissed or is already done), then run it:
        the body of a flow run."""
        job = self.store.mark_running(job_id, flow_run_id=flow_run_id)
        return self.execute(job) if job is not None else None

    def execute(self, job: Job) -> Job | None:
        """Run a started job's process and record its results. Returns the final job; raises
        ``JobDismissed`` when the job is dismissed while it runs; the process's own
        exceptions propagate."""
        context = self.context(job.owner, job.id)

        def report(progress: int, message: str | None) -> None:
            if not self.store.report(job.id, progress, message):
                raise JobDismissed(job.id)

        context.report = report
        processor = self.registry.processor(job.process_id, context)
        processor.set_job_id(job.id)
        outputs = processor.run(job.inputs)
        results = {"outputs": self.serialise(outputs)}
        finished = self.store.finish(job.id, "successful", "completed", results)
        if finished is not None:
            self.catalogue.publish(finished)  # its catalogue record, at once
        return finished

    def serialise(self, outputs: dict[str, Any]) -> dict[str, Any]:
        stored = {}
        results = self.settings.results_dir.resolve()
        for name, value in outputs.items():
            if isinstance(value, FileOutput):
                relative = value.path.resolve().relative_to(results)
                stored[name] = {"file": str(relative), "mediaType": value.media_type}
            else:
                stored[name] = {"value": value}
        return stored

    def record_failure(
        self, job_id: str, exc: BaseException | None, fallback: str = ""
    ) -> Job | None:
        """Fail the job with the real reason and the OGC exception type/status it maps to."""
        if isinstance(exc, ApiError):
            exception = {"type": exc.type, "status": exc.status}
        else:
            exception = INTERNAL
        reason = (str(exc) if exc else "") or (type(exc).__name__ if exc else fallback)
        return self.store.finish(job_id, "failed", f"failed: {reason}", {"exception": exception})


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
