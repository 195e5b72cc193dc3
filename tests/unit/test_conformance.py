"""Conformance is computed from what is served: nothing is declared that is not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from landgrid.catalog import Catalog
from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.settings import PROJECT_ROOT, Settings
from landgrid.web.app import create_app
from landgrid.web.coverages import COVERAGES
from landgrid.web.features import FEATURES, TRANSACTIONS, features_conformance
from landgrid.web.processes import PROCESSES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    products = tmp_path / "config" / "products"
    shutil.copytree(PROJECT_ROOT / "config" / "products", products)
    return Settings(data_dir=tmp_path / "var", products_dir=products)


def classes(settings: Settings) -> set[str]:
    return set(create_app(settings).test_client().get("/conformance").json["conformsTo"])


def test_processes_without_products(settings):
    held = classes(settings)
    assert set(PROCESSES) <= held
    assert not set(FEATURES + COVERAGES + TRANSACTIONS) & held


def test_features_while_a_vector_product_is_served(settings):
    vectors = settings.data_dir / "vector-products"
    write_vector_product(VectorProduct(id="zones", title="Zones", table="zones"), vectors)
    held = classes(settings)
    assert set(FEATURES) <= held and not set(TRANSACTIONS) & held
    assert not set(COVERAGES) & held


def test_transactions_only_with_an_editable_collection(settings):
    vectors = settings.data_dir / "vector-products"
    write_vector_product(VectorProduct(id="z", title="Z", table="z", editable=True), vectors)
    assert set(TRANSACTIONS) <= set(features_conformance(Catalog(settings)))


def test_coverages_while_a_raster_store_exists(settings):
    (settings.products_data_dir).mkdir(parents=True)
    (settings.products_data_dir / "clcplus-backbone.nc").write_bytes(b"")
    listed = create_app(settings).test_client().get("/conformance").json["conformsTo"]
    assert set(COVERAGES) <= set(listed)
    assert len(listed) == len(set(listed))
