"""Fixtures for coverage tests: a CORINE store built from the real Lausanne rasters."""

from __future__ import annotations

from pathlib import Path

import pytest

from landgrid.raster.product import RasterProduct, load_products
from landgrid.raster.store import create_store, ingest_year

REPO = Path(__file__).resolve().parents[2]
SOURCES = {2006: "ls100_06.tif", 2012: "ls100_12.tif"}


@pytest.fixture(scope="session")
def corine() -> RasterProduct:
    return load_products(REPO / "config" / "products")["corine-land-cover"]


@pytest.fixture(scope="session")
def corine_store(
    tmp_path_factory: pytest.TempPathFactory, corine: RasterProduct, shared_data: Path
) -> Path:
    """Both real CORINE years ingested into a temporary store."""
    store = create_store(corine, tmp_path_factory.mktemp("coverage") / "corine.nc")
    for year, name in SOURCES.items():
        ingest_year(corine, store, shared_data / "lausanne-clc" / name, year)
    return store
