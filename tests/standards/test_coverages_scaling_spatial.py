"""OGC API - Coverages 1.0 (rc2), ``.../conf/scaling-spatial``: ``resolution`` per axis
(empty: native), ``width``/``height`` exact numbers of cells, and the errors."""

from __future__ import annotations

import pytest

from tests.standards.coverage import coverage_url, tif
from tests.standards.helpers import CRS84, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/scaling-spatial"
AREA = {"subset": "E(4300000:4302000),N(2698000:2700000)"}  # 200 x 200 native cells


def test_declared(conforms_to):
    assert CLASS in conforms_to


def get(api, http, **params):
    return http.get(coverage_url(api), params={**AREA, **params}, timeout=60)


@pytest.mark.parametrize(
    ("resolution", "shape", "cell"),
    [
        ("E(20),N(20)", (100, 100), 20),  # resolution B, D, E
        ("E(40),N(20)", (100, 50), None),
        ("X(50),Y(50)", (40, 40), 50),  # aliases
        ("20", (100, 100), 20),
        ("", (200, 200), 10),  # native-resolution
        ("E(),N()", (200, 200), 10),
    ],
)
def test_resolution(api, http, resolution, shape, cell):
    with tif(get(api, http, resolution=resolution)) as ds:
        assert ds.shape == shape
        if cell:
            assert ds.transform.a == pytest.approx(cell) and -ds.transform.e == pytest.approx(cell)


def test_geographic_axes(api, http):
    """resolution C: Lon/Lat in a geographic output CRS."""
    with tif(get(api, http, crs=CRS84, resolution="Lon(0.001),Lat(0.001)")) as ds:
        assert ds.transform.a == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("params", "shape"), [({"width": 50}, (50, 50)), ({"width": 30, "height": 70}, (70, 30))]
)
def test_width_and_height(api, http, params, shape):
    """width-and-height A-C: exactly the cells asked."""
    with tif(get(api, http, **params)) as ds:
        assert ds.shape == shape


def test_width_and_height_map_onto_the_subset_even_outside(api, http):
    """width-and-height D: a subset partly outside keeps the asked box and size."""
    r = http.get(
        coverage_url(api),
        params={"subset": "E(4299000:4301000),N(2699000:2701000)", "width": 20, "height": 20},
        timeout=60,
    )
    with tif(r) as ds:
        assert ds.shape == (20, 20) and ds.transform.c == 4299000


@pytest.mark.parametrize(
    "params",
    [{"resolution": "Q(10)"}, {"resolution": "E(-1)"}, {"resolution": "E(x)"}, {"width": 0}],
)
def test_errors_are_400(api, http, params):
    """resolution-invalid-axis, and bad values."""
    assert get(api, http, **params).status_code == 400
