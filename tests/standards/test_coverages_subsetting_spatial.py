"""OGC API - Coverages 1.0 (rc2), ``.../conf/subsetting-spatial``: ``subset`` on the spatial
axes (``Lon``/``Lat`` in ``subset-crs``, CRS84 by default; ``E``/``N``), wildcards,
repeated parameters, wrap-around, ``bbox`` and ``bbox-crs``, and the errors: unknown axes,
``bbox`` with a spatial subset, slicing and scaling one axis, and 404 outside the coverage."""

from __future__ import annotations

import numpy as np
import pytest

from tests.standards.coverage import EPSG3035, X0, Y1, coverage_url, tif
from tests.standards.helpers import CRS84, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/subsetting-spatial"
WINDOW = (slice(1000, 1100), slice(200, 400))  # rows N 2689000..2690000, cols E 4302000..4304000


def test_declared(conforms_to):
    assert CLASS in conforms_to


def window(api, http, **params):
    return http.get(coverage_url(api), params={"datetime": "2021", **params}, timeout=60)


@pytest.mark.parametrize(
    "params",
    [
        {"subset": "E(4302000:4304000),N(2689000:2690000)"},
        {"subset": ["E(4302000:4304000)", "N(2689000:2690000)"]},  # multiple-subset
        {"subset": "X(4302000:4304000),Y(2689000:2690000)"},  # aliases
        {"subset": "E(4302000:4304000),N(2689000:2690000)", "subset-crs": EPSG3035},
        {"subset": "E(4302000:4304000),N(2689000:2690000)", "subset-crs": "[EPSG:3035]"},
        {"bbox": "2689000,4302000,2690000,4304000", "bbox-crs": EPSG3035},  # its axis order
    ],
)
def test_trim_in_the_storage_crs(api, http, demo_pixels, params):
    """/req/subsetting-spatial/subset A-D, F, multiple-subset, subset-crs D-E, bbox-crs D."""
    with tif(window(api, http, **params)) as ds:
        assert ds.crs.to_epsg() == 3035
        assert np.array_equal(ds.read(1), demo_pixels[2021][WINDOW])


def test_wildcards(api, http, demo_pixels):
    """/req/subsetting-spatial/wildcard-limits."""
    with tif(window(api, http, subset="E(*:4300500),N(2699500:*)")) as ds:
        assert (ds.transform.c, ds.transform.f) == (X0, Y1)
        assert np.array_equal(ds.read(1), demo_pixels[2021][:50, :50])


def test_lon_lat_in_crs84_by_default(api, http):
    """/req/subsetting-spatial/subset E, G, subset-crs B-C: Lon/Lat are CRS84 unless
    subset-crs says otherwise; bbox is CRS84 by default."""
    box = "Lon(9.85:9.88),Lat(47.30:47.32)"
    r = window(api, http, subset=box)
    assert r.status_code == 200 and r.headers["Content-Crs"] == f"<{CRS84}>"
    west, _, _, north = map(float, r.headers["Content-Bbox"].split(","))
    assert west == pytest.approx(9.85, abs=1e-3) and north == pytest.approx(47.32, abs=1e-3)
    same = window(api, http, bbox="9.85,47.30,9.88,47.32", crs=CRS84)
    assert same.headers["Content-Bbox"] == r.headers["Content-Bbox"]
    with tif(window(api, http, subset=box, **{"subset-crs": "[OGC:CRS84]"})) as ds:
        assert ds.crs.to_string() in ("OGC:CRS84", "EPSG:4326")


def test_slice(api, http, demo_pixels):
    """/req/subsetting-spatial/subset C: a slice keeps one cell along the axis."""
    with tif(window(api, http, subset="E(4302005),N(2689000:2690000)")) as ds:
        assert ds.width == 1 and ds.height == 100
        assert np.array_equal(ds.read(1)[:, 0], demo_pixels[2021][1000:1100, 200])


def test_wrap_around(api, http):
    """/req/subsetting-spatial/wrap-around: Lon low above high crosses the antimeridian
    (this coverage lies on one side, so the answer is the side that meets it)."""
    crossing = window(api, http, subset="Lon(9.85:-170),Lat(47.30:47.32)")
    assert crossing.status_code == 200
    assert float(crossing.headers["Content-Bbox"].split(",")[0]) == pytest.approx(9.85, abs=1e-3)
    far = window(api, http, subset="Lon(170:-170),Lat(47.30:47.32)")
    assert far.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"subset": "E(0:1000)"},
        {"subset": "Lon(100:101),Lat(10:11)"},
        {"bbox": "100,10,101,11"},
    ],
)
def test_out_of_bounds_is_404(api, http, params):
    """/req/subsetting-spatial/out-of-bounds."""
    r = window(api, http, **params)
    assert r.status_code == 404 and r.json()["type"] == "NotFound"


@pytest.mark.parametrize(
    "params",
    [
        {"subset": "Q(1:2)"},  # subset-invalid-axis
        {"subset": "Lon(9:10)", "subset-crs": EPSG3035},  # not an axis of that CRS
        {"subset": "E(4302000:4304000)", "bbox": "9.85,47.30,9.88,47.32"},  # exclusivity
        {"subset": "E(4302005)", "resolution": "E(20)"},  # subset-scaling-exclusivity
        {"subset": "E(4304000:4302000)"},  # projected axes do not wrap
        {"subset": "E(*)"},
        {"subset-crs": "junk", "subset": "E(4302000:4304000)"},
        {"bbox": "1,2,3"},
        {"bbox-crs": "junk", "bbox": "1,2,3,4"},
    ],
)
def test_errors_are_400(api, http, params):
    assert window(api, http, **params).status_code == 400
