"""Fixtures of the features tests: the official CQL2 conformance data as three collections.

The layers of ``ne110m4cql2.gpkg`` are loaded with our loader into the suite's PostGIS and
registered as vector products in ``<data_dir>/vector-products``, so the web app serves them
like any product an operator loaded, whether it started before or after.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from landgrid.db import engine
from landgrid.features.loader import ensure_unaccent, load_layer, product_definition
from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.settings import Settings

LAYERS = {
    "ne_110m_admin_0_countries": {},
    "ne_110m_populated_places_simple": {"time_column": "start", "time_end_column": "end"},
    "ne_110m_rivers_lake_centerlines": {},
}


@pytest.fixture(scope="session")
def ogc_data(shared_data: Path) -> Path:
    path = shared_data / "ogc"
    if not (path / "ne110m4cql2.gpkg").exists():
        pytest.skip("CQL2 conformance data not found")
    return path


@pytest.fixture(scope="session")
def cql2_products(settings: Settings, database: str, ogc_data: Path) -> dict[str, VectorProduct]:
    """The three CQL2 conformance layers, loaded and registered (collection id = layer)."""
    db = engine(database)
    assert ensure_unaccent(db)
    products = {}
    for layer, extra in LAYERS.items():
        result = load_layer(
            db, ogc_data / "ne110m4cql2.gpkg", layer, layer=layer, id_column="fid", replace=True
        )
        product = product_definition(
            result, layer, f"{layer} (CQL2 conformance data)", id_column="fid", **extra
        )
        write_vector_product(product, settings.data_dir / "vector-products")
        products[layer] = product
    return products


EDITABLE = "edit-zones"


@pytest.fixture(scope="session")
def editable_product(settings: Settings, database: str) -> VectorProduct:
    """An editable polygon collection (Part 4), empty, in EPSG:3035."""
    with engine(database).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS edit_zones (id bigint GENERATED ALWAYS AS IDENTITY"
            " PRIMARY KEY, name text NOT NULL, value integer, surveyed date,"
            " geom geometry(MultiPolygon, 3035) NOT NULL)"
        )
    product = VectorProduct(
        id=EDITABLE,
        title="Editable zones",
        table="edit_zones",
        storage_crs="EPSG:3035",
        editable=True,
    )
    write_vector_product(product, settings.data_dir / "vector-products")
    return product


def serve_registered(stack, collection_id: str) -> str:
    """The served base URL, once the running web app lists ``collection_id`` (registered
    while it runs: its catalog sees the new definition at the next request, no restart)."""
    url = stack.settings.url
    r = requests.get(f"{url}/collections/{collection_id}", params={"f": "json"}, timeout=30)
    assert r.status_code == 200, f"{collection_id} registered but not served: {r.text}"
    return url


@pytest.fixture(scope="session")
def features_url(cql2_products, editable_product, stack) -> str:
    """The served API, with the CQL2 collections and the editable one."""
    serve_registered(stack, next(iter(cql2_products)))
    return serve_registered(stack, editable_product.id)
