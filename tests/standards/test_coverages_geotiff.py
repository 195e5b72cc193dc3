"""OGC API - Coverages 1.0 (rc2), ``.../conf/geotiff``: a GeoTIFF by negotiation
(``image/tiff; application=geotiff``), valid, area cells (``RasterPixelIsArea``), one band
per year in the field's order, with the legend's colour table."""

from __future__ import annotations

import pytest

from tests.standards.coverage import GEOTIFF, coverage_url, tif
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/geotiff"
SMALL = {"subset": "E(4300000:4301000),N(2699000:2700000)"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize("how", [{"headers": {"Accept": GEOTIFF}}, {"params": {"f": "geotiff"}}])
def test_geotiff(api, http, how):
    """/req/geotiff/coverage A-C, raster-type A."""
    r = http.get(
        coverage_url(api), params={**SMALL, **how.get("params", {})}, headers=how.get("headers")
    )
    assert r.headers["Content-Type"] == GEOTIFF
    with tif(r) as ds:
        assert ds.driver == "GTiff" and ds.crs.to_epsg() == 3035
        assert ds.tags()["AREA_OR_POINT"] == "Area"
        assert ds.colormap(1)[1][:3] == (255, 0, 0)  # Sealed is red


def test_years_are_bands(api, http):
    r = http.get(coverage_url(api), params={**SMALL, "datetime": "2018/2021"}, timeout=60)
    with tif(r) as ds:
        assert ds.count == 2 and ds.descriptions == ("2018", "2021")
