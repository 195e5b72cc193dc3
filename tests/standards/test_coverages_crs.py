"""OGC API - Coverages 1.0 (rc2), ``.../conf/crs``: ``crs`` as a URI or safe CURIE, the
listed CRSs all served, the answer in the asked CRS, ``bbox-crs``/``subset-crs`` taking
the same values, 400 for an invalid one."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from tests.standards.coverage import EPSG3035, coverage_url, tif
from tests.standards.helpers import CRS84, DEMO_RASTER, EPSG, OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/crs"
SMALL = {"bbox": "9.85,47.30,9.86,47.31"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


def test_listed_crs_are_served_and_include_the_default(api, http):
    """crs-definition B-C, F."""
    doc = http.get(f"{api}/collections/{DEMO_RASTER}", timeout=30).json()
    assert doc["storageCrs"] in doc["crs"]
    for crs in doc["crs"]:
        r = http.get(coverage_url(api), params={**SMALL, "crs": crs}, timeout=60)
        assert r.status_code == 200 and r.headers["Content-Crs"] == f"<{crs}>"


@pytest.mark.parametrize(
    ("crs", "epsg"),
    [(EPSG.format(3857), 3857), ("[EPSG:3857]", 3857), ("EPSG:32632", 32632), (EPSG3035, 3035)],
)
def test_output_crs(api, http, crs, epsg):
    """crs-definition A, E, F."""
    with tif(http.get(coverage_url(api), params={**SMALL, "crs": crs}, timeout=60)) as ds:
        assert ds.crs.to_epsg() == epsg


def test_bbox_and_subset_crs_take_the_output_crs_values(api, http):
    """crs-definition D."""
    to_mercator = Transformer.from_crs("OGC:CRS84", "EPSG:3857", always_xy=True)
    x1, y1, x2, y2 = (round(v) for v in to_mercator.transform_bounds(9.85, 47.30, 9.86, 47.31))
    box = f"{x1},{y1},{x2},{y2}"  # EPSG:3857 is x first
    r = http.get(
        coverage_url(api),
        params={"bbox": box, "bbox-crs": EPSG.format(3857), "crs": EPSG.format(3857)},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    s = http.get(
        coverage_url(api),
        params={
            "subset": f"E({x1}:{x2}),N({y1}:{y2})",
            "subset-crs": "[EPSG:3857]",
            "crs": EPSG.format(3857),
        },
        timeout=60,
    )
    assert s.status_code == 200 and s.headers["Content-Bbox"] == r.headers["Content-Bbox"]


@pytest.mark.parametrize(
    "crs", ["EPSG:123456789", "junk", "http://www.opengis.net/def/crs/EPSG/0/x"]
)
def test_invalid_crs_is_400(api, http, crs):
    """crs-definition G."""
    r = http.get(coverage_url(api), params={**SMALL, "crs": crs}, timeout=60)
    assert r.status_code == 400 and "crs" in r.json()["detail"]


def test_crs84_answer_is_lon_lat(api, http):
    r = http.get(coverage_url(api), params={**SMALL, "crs": CRS84}, timeout=60)
    west, south, _, _ = map(float, r.headers["Content-Bbox"].split(","))
    assert west == pytest.approx(9.85, abs=1e-3) and south == pytest.approx(47.30, abs=1e-3)
