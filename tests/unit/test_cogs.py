"""Per-year COGs beside a store: built by ingestion, pixel-equal to the store, class-preserving
overviews, the legend's colours, fresh after every ingestion and rebuilt when stale."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio

from landgrid.raster import cogs
from landgrid.raster.product import RasterProduct
from landgrid.raster.store import create_store, ingest_year, open_store

SOURCES = {2006: "ls100_06.tif", 2012: "ls100_12.tif"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, corine: RasterProduct, lausanne: Path) -> Path:
    path = create_store(corine, tmp_path_factory.mktemp("cogs") / "corine.nc")
    steps: list[tuple[int, int]] = []
    ingest_year(corine, path, lausanne / SOURCES[2012], 2012, lambda d, t: steps.append((d, t)))
    assert steps[-1][0] == steps[-1][1]  # the COG is part of the ingestion's progress
    ingest_year(corine, path, lausanne / SOURCES[2006], 2006)
    return path


def test_every_year_has_a_current_cog_equal_to_the_store(store: Path, corine: RasterProduct):
    with open_store(store) as ds:
        layers = {int(t.dt.year): ds["land_cover"].sel(time=t).values for t in ds.time}
    for year, layer in layers.items():
        assert cogs.is_current(store, year)
        with rasterio.open(cogs.cog_path(store, year)) as cog:
            assert cog.crs.to_epsg() == 3035 and cog.transform == corine.transform
            assert cog.nodata == corine.nodata and cog.block_shapes[0] == (512, 512)
            assert cog.tags()["YEAR"] == str(year)
            assert np.array_equal(cog.read(1), layer)
            colours = cog.colormap(1)
            for c in corine.legend:
                assert colours[c.code][:3] == c.rgb
            assert cog.overviews(1), "a COG has overviews"


def test_overviews_hold_only_class_codes(store: Path, corine: RasterProduct):
    """Mode resampling: every overview pixel is a code of the legend (an average of codes
    would invent values such as 12 between 11 and 13)."""
    valid = set(corine.valid_codes)
    with rasterio.open(cogs.cog_path(store, 2012)) as cog:
        for level in range(len(cog.overviews(1))):
            with rasterio.open(cogs.cog_path(store, 2012), overview_level=level) as ovr:
                assert set(np.unique(ovr.read(1)).tolist()) <= valid


def test_an_older_cog_is_stale_and_rebuilt(store: Path, corine: RasterProduct, tmp_path: Path):
    copy = tmp_path / "corine.nc"
    shutil.copy2(store, copy)
    shutil.copytree(cogs.cog_dir(store), cogs.cog_dir(copy))
    os.utime(cogs.cog_path(copy, 2006), ns=(0, 0))
    assert not cogs.is_current(copy, 2006) and cogs.current_cog(copy, 2006) is None
    assert cogs.build_cogs(corine, copy) == [cogs.cog_path(copy, 2006)]
    assert cogs.is_current(copy, 2006)
    assert cogs.build_cogs(corine, copy) == []  # nothing stale any more
    with pytest.raises(ValueError, match="no year"):
        cogs.build_cogs(corine, copy, [1990])


def test_reingesting_a_year_keeps_the_others_current(
    store: Path, corine: RasterProduct, lausanne: Path, tmp_path: Path
):
    copy = tmp_path / "corine.nc"
    shutil.copy2(store, copy)
    shutil.copytree(cogs.cog_dir(store), cogs.cog_dir(copy))
    before = cogs.cog_path(copy, 2006).read_bytes()
    ingest_year(corine, copy, lausanne / SOURCES[2012], 2012, replace=True)
    assert cogs.is_current(copy, 2006) and cogs.is_current(copy, 2012)
    assert cogs.cog_path(copy, 2006).read_bytes() == before  # touched, not rewritten
