"""OGC API - Coverages 1.0 (rc2), ``.../conf/field-selection``: ``properties`` and
``exclude-properties`` by the schema's field names; unknown names and both at once are
400. The coverage has one field, ``land_cover``, so excluding it leaves nothing (400)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.standards.coverage import coverage_url, tif
from tests.standards.helpers import DEMO_RASTER, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/field-selection"
SMALL = {"subset": "E(4300000:4300500),N(2699500:2700000)"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_field_names_are_the_schema_keys(api, http):
    schema = http.get(f"{api}/collections/{DEMO_RASTER}/schema", timeout=30).json()
    assert list(schema["properties"]) == ["land_cover"]


@pytest.mark.parametrize("params", [{"properties": "land_cover"}, {"exclude-properties": ""}, {}])
def test_selected_fields(api, http, demo_pixels, params):
    """/req/field-selection/properties A-C, exclude-properties A, C, F."""
    with tif(http.get(coverage_url(api), params={**SMALL, **params}, timeout=60)) as ds:
        assert ds.count == 1 and np.array_equal(ds.read(1), demo_pixels[2021][:50, :50])


@pytest.mark.parametrize(
    "params",
    [
        {"properties": "ndvi"},  # properties B
        {"exclude-properties": "ndvi"},  # exclude-properties B
        {"properties": "land_cover", "exclude-properties": "land_cover"},  # D
        {"exclude-properties": "land_cover"},  # nothing left
    ],
)
def test_errors_are_400(api, http, params):
    r = http.get(coverage_url(api), params={**SMALL, **params}, timeout=60)
    assert r.status_code == 400 and r.json()["type"] == "InvalidParameterValue"
