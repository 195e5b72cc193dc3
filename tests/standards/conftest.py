"""The stack every conformance module runs against: the demo products (a coverage, a feature
collection), the CQL2 conformance collections, an editable collection and every process.

Each module of this folder is named after one conformance class the server declares
(``test_<standard>_<class>.py``) and walks that class's requirements; the README's
conformance section lists them.
"""

from __future__ import annotations

import pytest
import requests

from landgrid.db import engine
from landgrid.features.product import VectorProduct, write_vector_product
from landgrid.settings import Settings
from tests.features.conftest import (  # noqa: F401 (fixtures)
    cql2_products,
    editable_product,
    features_url,
    ogc_data,
    serve_registered,
)

TIMED = "timed-points"


@pytest.fixture(scope="session")
def timed_product(settings: Settings, database: str) -> VectorProduct:
    """Points with a time interval each: closed, open at either end, and none at all
    (``/req/core/fc-time-response`` C: those match every ``datetime``)."""
    with engine(database).begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS timed_points")
        conn.exec_driver_sql(
            'CREATE TABLE timed_points (id integer PRIMARY KEY, label text, "start" timestamptz,'
            ' "end" timestamptz, geom geometry(Point, 4326))'
        )
        conn.exec_driver_sql(
            "INSERT INTO timed_points VALUES"
            " (1, 'closed 2020', '2020-01-01T00:00:00Z', '2020-12-31T00:00:00Z',"
            "  'SRID=4326;POINT(6.6 46.5)'),"
            " (2, 'from mid-2021', '2021-06-01T00:00:00Z', NULL, 'SRID=4326;POINT(6.7 46.6)'),"
            " (3, 'no time', NULL, NULL, 'SRID=4326;POINT(6.8 46.7)'),"
            " (4, 'until 2019', NULL, '2019-01-01T00:00:00Z', 'SRID=4326;POINT(6.9 46.8)')"
        )
    product = VectorProduct(
        id=TIMED,
        title="Points with open and missing times",
        table="timed_points",
        time_column="start",
        time_end_column="end",
        bbox=[6.6, 46.5, 6.9, 46.8],
    )
    write_vector_product(product, settings.data_dir / "vector-products")
    return product


@pytest.fixture(scope="session")
def api(features_url: str, timed_product: VectorProduct, stack) -> str:  # noqa: F811
    return serve_registered(stack, timed_product.id)


@pytest.fixture(scope="session")
def http() -> requests.Session:
    return requests.Session()


@pytest.fixture(scope="session")
def oas(api: str, http: requests.Session) -> dict:
    r = http.get(f"{api}/openapi", params={"f": "json"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def conforms_to(api: str, http: requests.Session) -> list[str]:
    return http.get(f"{api}/conformance", params={"f": "json"}, timeout=30).json()["conformsTo"]


@pytest.fixture(scope="session")
def resources(api: str, http: requests.Session):
    from tests.standards.operations import Resources

    return Resources(api, http)


@pytest.fixture(scope="session")
def demo_pixels(stack) -> dict:
    """Each year of the demo raster store as GDAL's netCDF driver reads it (not our reader)."""
    import rasterio

    from landgrid.catalog import store_path
    from tests.standards.helpers import DEMO_RASTER

    with rasterio.open(f"netcdf:{store_path(stack.settings, DEMO_RASTER)}:land_cover") as src:
        return {2018: src.read(1), 2021: src.read(2)}
