"""Fixtures for the core unit tests: product definitions and the real CORINE test data."""

from __future__ import annotations

from pathlib import Path

import pytest

from landgrid.raster.product import RasterProduct, load_products

REPO = Path(__file__).resolve().parents[2]
PRODUCTS_DIR = REPO / "config" / "products"
# The repository is checked out beside ``shared/``, which holds real data we must not copy.
SHARED_DATA = REPO.parent / "shared" / "data"
LAUSANNE = SHARED_DATA / "lausanne-clc"


@pytest.fixture(scope="session")
def products() -> dict[str, RasterProduct]:
    return load_products(PRODUCTS_DIR)


@pytest.fixture(scope="session")
def backbone(products: dict[str, RasterProduct]) -> RasterProduct:
    return products["clcplus-backbone"]


@pytest.fixture(scope="session")
def corine(products: dict[str, RasterProduct]) -> RasterProduct:
    return products["corine-land-cover"]


@pytest.fixture(scope="session")
def lausanne() -> Path:
    """Folder of the real CORINE Lausanne rasters (2006, 2012), or skip."""
    if not (LAUSANNE / "ls100_06.tif").is_file() or not (LAUSANNE / "ls100_12.tif").is_file():
        pytest.skip(f"real CORINE test data not found in {LAUSANNE} (shared/ beside the repo)")
    return LAUSANNE
