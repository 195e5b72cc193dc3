"""Tiles fanned out over Prefect task runs (``LANDGRID_TASK_RUNNER``): the same counts as
the sequential loop, each tile a task run of the flow run in the suite's Prefect server,
progress reported once per tile."""

from __future__ import annotations

import time

import numpy as np
import pytest
import requests
from prefect import flow, runtime
from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings
from shapely.geometry import shape

from flows.tiles import run_tiles, task_runner, tile_runner
from landgrid.analysis.source import source
from landgrid.analysis.zonal import Zone, class_counts
from landgrid.catalog import Catalog
from tests.landcover.conftest import CORINE
from tests.landcover.test_extract import to_3035

YEARS = [2006, 2012]


def counts(settings, zones, method, progress):
    src = source(Catalog(settings), CORINE, YEARS)
    return class_counts(
        src,
        zones,
        YEARS,
        lambda done, total: progress.append((done, total)),
        block_pixels=2000,  # ~a dozen tiles over Lausanne's 100 m pixels
        chunk_rows=4,
        method=method,
        run_tiles=tile_runner(settings),
    )


def prefect_at(stack):
    """The suite's Prefect server; run logs stay local (they would be flushed to the API
    after the stack stopped, at exit)."""
    return temporary_settings(
        {PREFECT_API_URL: stack.settings.prefect_api, PREFECT_LOGGING_TO_API_ENABLED: False}
    )


def task_runs(prefect_api: str, flow_run_id: str, expected: int) -> list[dict]:
    """The flow run's task runs once all are recorded as final: Prefect 3 records task-run
    states from events, a moment after the tasks finished."""
    body = {"flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200}
    deadline = time.monotonic() + 60
    while True:
        r = requests.post(f"{prefect_api}/task_runs/filter", json=body, timeout=30)
        r.raise_for_status()
        runs = r.json()
        final = [run for run in runs if run["state_type"] == "COMPLETED"]
        if len(final) >= expected or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


@pytest.fixture(scope="module")
def dask_address():
    """A Dask cluster of this process (threads): the ``dask`` runner on an address, as on
    a multi-machine cluster."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as c:
        yield c.scheduler_address


@pytest.mark.services
@pytest.mark.parametrize(
    ("runner", "method"), [("thread", "centre"), ("thread", "fraction"), ("dask", "fraction")]
)
def test_runner_tiles_are_task_runs_with_the_same_counts(
    stack, corine, lausanne, request, runner, method
):
    boundary = to_3035(shape(lausanne["geometry"]))
    zones = [Zone("lausanne", boundary), Zone("core", boundary.buffer(-800))]
    plain: list[tuple[int, int]] = []
    sequential = counts(corine, zones, method, plain)
    update = {"task_runner": runner, "task_workers": 3}
    if runner == "dask":
        update["dask_address"] = request.getfixturevalue("dask_address")
    threaded_settings = corine.model_copy(update=update)
    progress: list[tuple[int, int]] = []

    @flow(name="landgrid-test-tiles")
    def job() -> tuple[str, np.ndarray]:
        return str(runtime.flow_run.id), counts(threaded_settings, zones, method, progress)

    with prefect_at(stack):
        flow_run_id, threaded = job()
    np.testing.assert_array_equal(threaded, sequential)
    tiles = plain[-1][1]
    assert tiles > 5 and progress == plain == [(i, tiles) for i in range(1, tiles + 1)]
    runs = task_runs(stack.settings.prefect_api, flow_run_id, tiles)
    assert sorted(r["name"] for r in runs) == sorted(
        f"tile {i}/{tiles}" for i in range(1, tiles + 1)
    )
    assert {r["state_type"] for r in runs} == {"COMPLETED"}


def test_sequential_is_the_default_plain_loop(corine):
    assert corine.task_runner == "sequential" and task_runner(corine) is None
    results = dict(run_tiles(lambda x: x * 2, [{"x": x} for x in range(3)], corine, "t"))
    assert results == {0: 0, 1: 2, 2: 4}


@pytest.mark.services
def test_a_failing_tile_fails_the_run(stack, corine):
    def tile(x: int) -> int:
        if x == 3:
            raise ValueError("tile 3 is broken")
        return x

    settings = corine.model_copy(update={"task_runner": "thread"})

    @flow(name="landgrid-test-tiles-failing")
    def job() -> dict:
        return dict(run_tiles(tile, [{"x": x} for x in range(6)], settings, "tile"))

    prefect = prefect_at(stack)
    with prefect, pytest.raises(ValueError, match="tile 3 is broken"):
        job()
