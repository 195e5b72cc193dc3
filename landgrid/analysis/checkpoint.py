"""Where a long computation may be stopped.

A ``Checkpoint`` is called inside the loops of the computations (per tile, per zone group,
per block of rows, per batch of polygons) and raises when the job they run for must stop
(``landgrid.jobs.running``): a dismissed job stops within one unit of work, whatever its
progress reporting. Outside a job nothing stops a computation (``never``).
"""

from __future__ import annotations

from collections.abc import Callable

Checkpoint = Callable[[], None]


def never() -> None:
    """The checkpoint of a computation that nothing stops."""
