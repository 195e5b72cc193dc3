"""``ingest``: a real CORINE file is added as a new year; bad files fail with the exact
reason and leave the store byte for byte unchanged."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
import rasterio

from landgrid.catalog import store_path
from landgrid.errors import InvalidParameterValue
from landgrid.raster.store import store_years
from processes.ingest import IngestProcessor
from tests.landcover.conftest import CORINE, run


@pytest.fixture
def own_store(corine, tmp_path):
    """A private copy of the CORINE store (these tests change it)."""
    settings = corine.model_copy(update={"data_dir": tmp_path / "var"})
    target = store_path(settings, CORINE)
    target.parent.mkdir(parents=True)
    shutil.copyfile(store_path(corine, CORINE), target)
    return settings


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_ingest_adds_a_year(own_store, clc_dir, tmp_path):
    out = run(
        IngestProcessor,
        own_store,
        {"product": CORINE, "year": 2018, "source": str(clc_dir / "ls100_12.tif")},
        tmp_path / "job",
    )
    assert out["report"]["replaced"] is False
    assert store_years(store_path(own_store, CORINE)) == [2006, 2012, 2018]


def test_value_outside_the_legend_fails_and_changes_nothing(own_store, clc_dir, tmp_path):
    bad = tmp_path / "bad.tif"
    with rasterio.open(clc_dir / "ls100_06.tif") as src:
        profile, data = src.profile, src.read()
    data[0, 10, 10] = 200
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(data)
    store = store_path(own_store, CORINE)
    before = digest(store)
    with pytest.raises(
        InvalidParameterValue, match=r"product unchanged: .*bad.tif: values not in the legend.*200"
    ):
        run(
            IngestProcessor,
            own_store,
            {"product": CORINE, "year": 2006, "source": str(bad), "replace": True},
            tmp_path / "job",
        )
    assert digest(store) == before


def test_no_crs_fails(own_store, tmp_path):
    bad = tmp_path / "nocrs.tif"
    with rasterio.open(bad, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8") as dst:
        dst.write(np.ones((1, 4, 4), dtype="uint8"))
    with pytest.raises(InvalidParameterValue, match="no CRS"):
        run(
            IngestProcessor,
            own_store,
            {"product": CORINE, "year": 2006, "source": str(bad), "replace": True},
            tmp_path / "job",
        )


def test_an_existing_year_is_refused_unless_replace(own_store, clc_dir, tmp_path):
    store = store_path(own_store, CORINE)
    before = digest(store)
    source = str(clc_dir / "ls100_12.tif")
    with pytest.raises(InvalidParameterValue, match=r"already has 2006.*'replace': true"):
        run(
            IngestProcessor,
            own_store,
            {"product": CORINE, "year": 2006, "source": source},
            tmp_path,
        )
    assert digest(store) == before
    inputs = {"product": CORINE, "year": 2006, "source": source, "replace": True}
    out = run(IngestProcessor, own_store, inputs, tmp_path / "job")
    assert out["report"]["replaced"] is True
    assert store_years(store) == [2006, 2012]


def test_missing_file_is_refused_before_running(own_store, tmp_path):
    with pytest.raises(InvalidParameterValue, match="no file"):
        run(
            IngestProcessor,
            own_store,
            {"product": CORINE, "year": 2006, "source": "/nope.tif"},
            tmp_path / "job",
        )
