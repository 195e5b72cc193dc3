"""Base of our processors: a pygeoapi processor whose ``run`` returns named outputs.

pygeoapi instantiates a processor from its definition alone; whoever runs it (the job's
flow run, or the API checking a request) then hands it a ``ProcessContext``: the settings,
the product catalog as the job's caller sees it (only what they may read), the caller, the
job's folder, the input limits, where progress goes, how tiles run, and the job's stop signal
(``check``, called inside long loops; ``sleep``, a wait it cuts short), so that a dismissed
job stops whatever its progress reporting. Nothing is read from the environment here.

Outputs are plain JSON values, or ``FileOutput`` for files written in the job's folder.
Raise ``landgrid.errors.ApiError`` subclasses (e.g. ``InvalidParameterValue``) for failures
whose reason the client should see with its OGC exception type. ``validate`` runs the
semantic checks a JSON schema cannot express (does the product exist, is the AOI inside
it): the API calls it before recording a job, so a bad request is a 400, never a job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pygeoapi.process.base import BaseProcessor

from landgrid.analysis.checkpoint import Checkpoint, never
from landgrid.analysis.zonal import TileRunner, in_a_loop
from landgrid.analysis.zones import ZoneSources
from landgrid.auth.access import Caller
from landgrid.catalog import Catalog
from landgrid.features.settings import FeatureSettings
from landgrid.guards import LIMITS, Limits
from landgrid.jobs.model import Job
from landgrid.settings import Settings

Reporter = Callable[[int, str | None], None]


def _no_report(progress: int, message: str | None) -> None:
    """Outside a job progress goes nowhere."""


@dataclass
class ProcessContext:
    settings: Settings
    catalog: Catalog  # what the caller may read (``CollectionAccess.catalog_for``)
    features: FeatureSettings
    caller: Caller = field(default_factory=lambda: Caller("anonymous"))
    workdir: Path | None = None  # the job's results folder
    limits: Limits = LIMITS
    report: Reporter = _no_report
    run_tiles: TileRunner = field(default=in_a_loop)
    check: Checkpoint = never  # raises once the job must stop (dismissed)
    sleep: Callable[[float], None] = time.sleep  # a wait that the stop signal cuts short

    @property
    def owner(self) -> str:
        """The job's owner: what a process publishes belongs to them."""
        return self.caller.identity

    @property
    def zone_sources(self) -> ZoneSources:
        return ZoneSources(self.catalog, self.settings.db_url(), self.features, self.limits)


@dataclass(frozen=True)
class FileOutput:
    path: Path
    media_type: str


class LandgridProcessor(BaseProcessor):
    context: ProcessContext

    def bind(self, context: ProcessContext) -> LandgridProcessor:
        self.context = context
        return self

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def catalog(self) -> Catalog:
        return self.context.catalog

    @property
    def owner(self) -> str:
        return self.context.owner

    def validate(self, inputs: dict[str, Any]) -> None:
        """Semantic checks of schema-valid inputs; raise ``InvalidParameterValue``."""

    def cleanup(self, job: Job) -> None:
        """Undo what ``job`` published outside its results folder (tables, collections):
        called when the job is dismissed, whatever its status. Nothing by default."""

    def output_path(self, name: str) -> Path:
        """A file in the job's results folder (created on demand)."""
        workdir = self.context.workdir
        assert workdir is not None, "run outside a job: no workdir"
        workdir.mkdir(parents=True, exist_ok=True)
        return workdir / name

    def report(self, progress: int, message: str | None = None) -> None:
        self.context.report(progress, message)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Compute the outputs (id -> value or FileOutput) from validated inputs."""
        raise NotImplementedError

    def execute(self, data: dict[str, Any], outputs: dict | None = None) -> tuple[str, Any]:
        """pygeoapi's entry point; ours is ``run``, called by the ``ogc-process`` flow."""
        return "application/json", self.run(data)
