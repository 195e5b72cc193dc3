"""Tiles of a job: computed in a plain loop, or fanned out over Prefect task runs.

Which one is configuration (``LANDGRID_TASK_RUNNER``), never code:

- ``sequential`` (the default): a loop in the flow's thread, without task-run bookkeeping
  (one API round trip per task run saved): the fast path on one machine;
- ``thread``: Prefect's ``ThreadPoolTaskRunner`` (``LANDGRID_TASK_WORKERS`` threads); every
  tile is a task run of the job's flow run, visible in the Prefect UI;
- ``dask``: ``prefect-dask``'s ``DaskTaskRunner`` on the scheduler at
  ``LANDGRID_DASK_ADDRESS`` (tiles on other machines), or on a local cluster when unset;
  needs the ``dask`` extra (``uv sync --extra dask``).

Tile functions take and return picklable values (they may travel to Dask workers), except
their ``check`` (the job's stop signal, see ``landgrid.analysis.checkpoint``): on Dask a
tile runs to its end and the job stops between tiles. Results come back as tiles finish, in
any order, so that the caller reports progress per tile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from landgrid.analysis.zonal import TileRunner, in_a_loop
from landgrid.errors import StackError
from landgrid.settings import Settings


def task_runner(settings: Settings) -> TaskRunner | None:
    """The configured Prefect task runner; None for the sequential loop."""
    if settings.task_runner == "thread":
        return ThreadPoolTaskRunner(max_workers=settings.task_workers)
    if settings.task_runner == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise StackError(
                "LANDGRID_TASK_RUNNER=dask needs prefect-dask: install the 'dask' extra"
            ) from exc
        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": settings.task_workers})
    return None


def tile_runner(settings: Settings) -> TileRunner:
    """The ``TileRunner`` the settings ask for (see ``landgrid.analysis.zonal``)."""
    if task_runner(settings) is None:
        return in_a_loop

    def run(
        fn: Callable[..., Any], calls: Sequence[dict[str, Any]], name: str
    ) -> Iterator[tuple[int, Any]]:
        return run_tiles(fn, calls, settings, name)

    return run


def run_tiles[R](
    fn: Callable[..., R], calls: Sequence[dict[str, Any]], settings: Settings, name: str
) -> Iterator[tuple[int, R]]:
    """``(index, fn(**calls[index]))`` for every tile, as each finishes."""
    runner = task_runner(settings) if calls else None
    if runner is None:
        yield from in_a_loop(fn, calls, name)
        return
    tile_task = task(fn, name=name, cache_policy=NO_CACHE, persist_result=False)
    if settings.task_runner == "dask":  # a stop signal cannot travel to another machine
        calls = [{**kw, "check": None} if "check" in kw else kw for kw in calls]
    with runner:
        futures = [
            runner.submit(tile_task.with_options(task_run_name=f"{name} {i + 1}/{len(calls)}"), kw)
            for i, kw in enumerate(calls)
        ]
        index = {future.task_run_id: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield index[future.task_run_id], future.result()
        except BaseException:  # a failed tile, a dismissed job: drop the tiles not started
            for future in futures:
                future.wrapped_future.cancel()
            raise
