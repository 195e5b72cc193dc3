"""Base of our processors: a pygeoapi processor that can report progress to its job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pygeoapi.process.base import BaseProcessor

Reporter = Callable[[int, str | None], None]


class LandgridProcessor(BaseProcessor):
    """Processors run inside a Prefect flow; ``report`` goes to the job record."""

    reporter: Reporter | None = None

    def report(self, progress: int, message: str | None = None) -> None:
        if self.reporter is not None:
            self.reporter(progress, message)

    def execute(self, data: dict[str, Any], outputs: dict | None = None) -> tuple[str, Any]:
        raise NotImplementedError
