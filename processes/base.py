"""Base of our processors: a pygeoapi processor whose ``run`` returns named outputs.

Processors run inside a Prefect flow; ``report`` writes progress and a message to the job.
Outputs are plain JSON values, or ``FileOutput`` for files written in the job's folder.
Raise ``landgrid.errors.ApiError`` subclasses (e.g. ``InvalidParameterValue``) for failures
whose reason the client should see with its OGC exception type. ``validate`` runs the
semantic checks a JSON schema cannot express (does the product exist, is the AOI inside
it): the API calls it before recording a job, so a bad request is a 400, never a job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pygeoapi.process.base import BaseProcessor

from landgrid.models import Job
from landgrid.settings import Settings

Reporter = Callable[[int, str | None], None]


@dataclass(frozen=True)
class FileOutput:
    path: Path
    media_type: str


class LandgridProcessor(BaseProcessor):
    reporter: Reporter | None = None
    owner: str = "anonymous"  # the job's owner: what a process publishes belongs to them
    workdir: Path | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Set by whoever runs the processor (the flow, the API); read from the environment
        only as a fallback, when used standalone."""
        if self._settings is None:
            self._settings = Settings()
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value

    def validate(self, inputs: dict[str, Any]) -> None:
        """Semantic checks of schema-valid inputs; raise ``InvalidParameterValue``."""

    def cleanup(self, job: Job) -> None:
        """Undo what ``job`` published outside its results folder (tables, collections):
        called when the job is dismissed, whatever its status. Nothing by default."""

    def output_path(self, name: str) -> Path:
        """A file in the job's results folder (created on demand)."""
        assert self.workdir is not None, "run outside a job: no workdir"
        self.workdir.mkdir(parents=True, exist_ok=True)
        return self.workdir / name

    def report(self, progress: int, message: str | None = None) -> None:
        if self.reporter is not None:
            self.reporter(progress, message)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Compute the outputs (id -> value or FileOutput) from validated inputs."""
        raise NotImplementedError

    def execute(self, data: dict[str, Any], outputs: dict | None = None) -> tuple[str, Any]:
        """pygeoapi's entry point; ours is ``run``, called by the ``ogc-process`` flow."""
        return "application/json", self.run(data)
