"""Fixtures of the tiles and maps tests: an app in process over a store of the real CORINE
Lausanne rasters (two years, ingested with their COGs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from landgrid.catalog import store_path
from landgrid.raster.product import RasterProduct, load_products
from landgrid.raster.store import create_store, ingest_year
from landgrid.settings import PROJECT_ROOT, Settings
from landgrid.web.app import create_app

SOURCES = {2006: "ls100_06.tif", 2012: "ls100_12.tif"}
ID = "corine-land-cover"


@pytest.fixture(scope="session")
def corine() -> RasterProduct:
    return load_products(PROJECT_ROOT / "config" / "products")[ID]


@pytest.fixture(scope="session")
def corine_settings(
    tmp_path_factory: pytest.TempPathFactory, corine: RasterProduct, shared_data: Path
) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("tiles"), public_url="http://test")
    store = create_store(corine, store_path(settings, ID))
    for year, name in SOURCES.items():
        ingest_year(corine, store, shared_data / "lausanne-clc" / name, year)
    return settings


@pytest.fixture(scope="session")
def client(corine_settings: Settings) -> FlaskClient:
    return create_app(corine_settings).test_client()
