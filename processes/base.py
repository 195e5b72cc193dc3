"""Base of our processors: a pygeoapi processor whose ``run`` returns named outputs.

Processors run inside a Prefect flow; ``report`` writes progress and a message to the job.
Outputs are plain JSON values, or ``FileOutput`` for files written in the job's folder.
Raise ``landgrid.errors.ApiError`` subclasses (e.g. ``InvalidParameterValue``) for failures
whose reason the client should see with its OGC exception type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pygeoapi.process.base import BaseProcessor

Reporter = Callable[[int, str | None], None]


@dataclass(frozen=True)
class FileOutput:
    path: Path
    media_type: str


class LandgridProcessor(BaseProcessor):
    reporter: Reporter | None = None
    workdir: Path | None = None

    def report(self, progress: int, message: str | None = None) -> None:
        if self.reporter is not None:
            self.reporter(progress, message)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Compute the outputs (id -> value or FileOutput) from validated inputs."""
        raise NotImplementedError

    def execute(self, data: dict[str, Any], outputs: dict | None = None) -> tuple[str, Any]:
        """pygeoapi's entry point; ours is ``run``, called by the ``ogc-process`` flow."""
        return "application/json", self.run(data)
