"""OGC API - Coverages 1.0 (rc2), ``.../conf/netcdf``: a CF netCDF by negotiation
(``application/x-netcdf``): valid, the coordinates named after the extent's dimensions,
the years on ``time``."""

from __future__ import annotations

import netCDF4
import numpy as np
import pytest

from tests.standards.coverage import coverage_url
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/netcdf"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize(
    "how", [{"headers": {"Accept": "application/x-netcdf"}}, {"params": {"f": "netcdf"}}]
)
def test_netcdf(api, http, demo_pixels, how):
    """/req/netcdf/coverage A-C."""
    params = {"subset": "E(4300000:4300500),N(2699500:2700000)", "datetime": "2018/2021"}
    r = http.get(
        coverage_url(api),
        params={**params, **how.get("params", {})},
        headers=how.get("headers"),
        timeout=60,
    )
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/x-netcdf"
    with netCDF4.Dataset("coverage.nc", memory=r.content) as ds:
        assert {"x", "y", "time"} <= set(ds.variables)
        assert ds.variables["x"].standard_name == "projection_x_coordinate"
        assert ds.variables["time"].standard_name == "time"
        values = ds.variables["land_cover"][:]
        assert np.array_equal(np.asarray(values[0]), demo_pixels[2018][:50, :50])
