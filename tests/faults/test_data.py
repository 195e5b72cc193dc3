"""Live data is never overwritten by accident nor left half-written: ``landgrid load-vector``
and ``landgrid ingest`` refuse an existing collection or year without ``--replace``, replace
atomically, leave the product as it was when killed midway, and say every error in one
line."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import fiona
import pytest
import sqlalchemy as sa

from landgrid.db import engine
from landgrid.ops.generator import write_geotiff
from landgrid.raster.product import load_products
from landgrid.raster.store import store_years
from landgrid.settings import Settings
from tests.faults.conftest import throwaway_dir, wait_until

pytestmark = pytest.mark.services

LANDGRID = str(Path(sys.executable).parent / "landgrid")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = throwaway_dir("landgrid-data-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cql2(shared_data: Path) -> Path:
    return shared_data / "ogc" / "ne110m4cql2.gpkg"


def cli(database: str, data_dir: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database, "LANDGRID_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [LANDGRID, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(database: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    process = cli(database, data_dir, *args)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def count(database: str, table: str) -> int:
    with engine(database).connect() as conn:
        return conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def aside_tables(database: str, table: str) -> list[str]:
    with engine(database).connect() as conn:
        query = sa.text("SELECT tablename FROM pg_tables WHERE tablename LIKE :p")
        return list(conn.execute(query, {"p": f"{table}_load_%"}).scalars())


def test_load_vector_refuses_an_existing_collection_and_replaces_it_atomically(
    database, data_dir, cql2
):
    table = "faults_places"
    load = ("load-vector", str(cql2), "--id", "faults-places")
    first = run(database, data_dir, *load, "--layer", "ne_110m_populated_places_simple")
    assert first.returncode == 0, first.stderr
    assert count(database, table) == 243
    again = run(database, data_dir, *load, "--layer", "ne_110m_admin_0_countries")
    assert "already exists" in one_line_error(again) and "--replace" in again.stderr
    assert count(database, table) == 243
    shipped = run(
        database, data_dir, "load-vector", str(cql2), "--id", "clcplus-backbone-polygons",
        "--layer", "ne_110m_admin_0_countries", "--table", "faults_other",
    )  # fmt: skip
    assert "clcplus-backbone-polygons" in one_line_error(shipped)

    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:  # a reader during the replacement sees one table or the other
        while not stop.is_set():
            seen.add(count(database, table))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        replaced = run(
            database, data_dir, *load, "--layer", "ne_110m_admin_0_countries", "--replace"
        )
    finally:
        stop.set()
        reader.join()
    assert replaced.returncode == 0, replaced.stderr
    assert count(database, table) == 177
    assert seen <= {243, 177} and 243 in seen, seen
    assert aside_tables(database, table) == []
    with engine(database).connect() as conn:
        indexes = conn.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": table}
        ).scalars()
        assert set(indexes) == {f"{table}_pkey", f"{table}_geom_gist"}


def test_load_vector_with_a_missing_layer_is_one_line(database, data_dir, cql2):
    result = run(
        database, data_dir, "load-vector", str(cql2), "--id", "faults-x", "--layer", "nolayer"
    )
    line = one_line_error(result)
    assert "no layer 'nolayer'" in line and "ne_110m_admin_0_countries" in line


@pytest.fixture
def big_source(data_dir: Path) -> Path:
    """200,000 points: long enough a load to kill it midway."""
    path = data_dir / "points.gpkg"
    schema = {"geometry": "Point", "properties": {"n": "int"}}
    with fiona.open(path, "w", driver="GPKG", schema=schema, crs="EPSG:4326") as dst:
        dst.writerecords(
            {"geometry": {"type": "Point", "coordinates": (i % 360 - 180, i % 170 - 85)},
             "properties": {"n": i}}
            for i in range(200_000)
        )  # fmt: skip
    return path


COPYING = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %faults_killed_load%'"


def test_a_killed_load_leaves_the_collection_as_it_was(database, data_dir, cql2, big_source):
    table = "faults_killed"
    countries = ("--layer", "ne_110m_admin_0_countries")
    first = run(database, data_dir, "load-vector", str(cql2), "--id", "faults-killed", *countries)
    assert first.returncode == 0, first.stderr
    definition = data_dir / "vector-products" / "faults-killed.yml"
    before = definition.read_text()
    process = cli(
        database, data_dir, "load-vector", str(big_source), "--id", "faults-killed", "--replace"
    )

    def copying() -> bool:
        with engine(database).connect() as conn:
            return bool(conn.execute(sa.text(COPYING)).scalar_one())

    wait_until(copying, 120, "the load copying rows aside", every=0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert count(database, table) == 177
    wait_until(lambda: aside_tables(database, table) == [], 30, "the aside table gone")
    assert definition.read_text() == before


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_ingest_refuses_an_existing_year_and_a_killed_ingestion_changes_nothing(database, data_dir):
    settings = Settings(data_dir=data_dir)
    product = load_products(settings.products_dir)["clcplus-backbone"]
    sources = {}
    for year in (2018, 2021):
        sources[year] = data_dir / f"{year}.tif"
        write_geotiff(sources[year], product, year, 7, product.width, product.height)
    ingest = ("ingest", "clcplus-backbone")
    first = run(database, data_dir, *ingest, "2018", str(sources[2018]))
    assert first.returncode == 0, first.stderr
    store = data_dir / "products" / "clcplus-backbone.nc"
    before = digest(store)
    again = run(database, data_dir, *ingest, "2018", str(sources[2018]))
    assert "already has 2018" in one_line_error(again) and "--replace" in again.stderr
    assert again.returncode == 2 and digest(store) == before

    process = cli(database, data_dir, *ingest, "2021", str(sources[2021]))
    wait_until(lambda: list(store.parent.glob("*.ingesting")), 120, "writing", every=0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert digest(store) == before and store_years(store) == [2018]

    done = run(database, data_dir, *ingest, "2021", str(sources[2021]))
    assert done.returncode == 0, done.stderr
    assert store_years(store) == [2018, 2021]
    assert not list(store.parent.glob("*.ingesting")), "the killed ingestion's copy is gone"
    replaced = run(database, data_dir, *ingest, "2021", str(sources[2021]), "--replace")
    assert replaced.returncode == 0, replaced.stderr
