"""Fixtures of the tiles and maps tests: an app in process over a store of the real CORINE
Lausanne rasters (two years, ingested with their COGs); for client tests, the same store and
the CQL2 conformance collections served by the real stack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from landgrid.catalog import store_path
from landgrid.raster.cogs import cog_dir
from landgrid.raster.product import RasterProduct, load_products
from landgrid.raster.store import create_store, ingest_year
from landgrid.settings import PROJECT_ROOT, Settings
from landgrid.web.app import create_app
from tests.features.conftest import cql2_products, ogc_data, serve_registered  # noqa: F401

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


# --- the real stack: the CORINE store and the CQL2 conformance collections, served --------


@pytest.fixture(scope="session")
def served_corine(stack, corine: RasterProduct, shared_data: Path, tmp_path_factory) -> str:
    """The CORINE store with its COGs, built aside and moved into the running stack's
    products folder (store last, so the catalog never sees a half-made one); the base URL."""
    settings = stack.settings
    final = store_path(settings, ID)
    if not final.exists():
        built = create_store(corine, tmp_path_factory.mktemp("corine") / final.name)
        for year, name in SOURCES.items():
            ingest_year(corine, built, shared_data / "lausanne-clc" / name, year)
        shutil.move(cog_dir(built), cog_dir(final))
        shutil.move(built, final)
    return serve_registered(stack, ID)


@pytest.fixture(scope="session")
def vectors_url(stack, cql2_products) -> str:  # noqa: F811 (the imported fixture)
    """The API with the CQL2 collections (countries, populated places with times, rivers)
    and the demo polygons with the demo raster's legend."""
    return serve_registered(stack, next(iter(cql2_products)))
