"""OGC API - Coverages 1.0 (rc2), ``.../conf/png``: an 8-bit PNG of one year by
negotiation, with ``Values-Scale``/``Values-Offset`` (the codes as they are); 400 for a
request a PNG cannot hold."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from tests.standards.coverage import coverage_url
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/png"
SMALL = {"subset": "E(4300000:4300500),N(2699500:2700000)"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize("how", [{"headers": {"Accept": "image/png"}}, {"params": {"f": "png"}}])
def test_png(api, http, demo_pixels, how):
    """/req/png/coverage A-B, E-F."""
    r = http.get(
        coverage_url(api), params={**SMALL, **how.get("params", {})}, headers=how.get("headers")
    )
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert (r.headers["Values-Scale"], r.headers["Values-Offset"]) == ("1", "0")
    with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
        assert ds.driver == "PNG" and ds.dtypes[0] == "uint8"
        assert np.array_equal(ds.read(1), demo_pixels[2021][:50, :50])


def test_what_a_png_cannot_hold_is_400(api, http):
    """/req/png/coverage C (one field, one year per image)."""
    r = http.get(coverage_url(api), params={**SMALL, "f": "png", "datetime": "2018/2021"})
    assert r.status_code == 400
