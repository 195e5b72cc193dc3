"""OGC API - Coverages 1.0 (rc2), ``.../conf/subsetting-temporal``: ``subset`` on ``time``
and ``datetime`` select the years they meet (each layer stands for its year), ``time(*)``
the newest; open ends; errors for other axes, both forms at once, and 404 outside."""

from __future__ import annotations

import numpy as np
import pytest

from tests.standards.coverage import coverage_url, tif
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/subsetting-temporal"
SMALL = "E(4300000:4300500),N(2699500:2700000)"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def years(api, http, **params) -> tuple[str, ...]:
    with tif(http.get(coverage_url(api), params={"subset": SMALL, **params}, timeout=60)) as ds:
        return ds.descriptions


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"datetime": "2018-06-01T00:00:00Z"}, ("2018",)),  # a slice: the year holding it
        ({"datetime": "2018-01-01/2021-12-31"}, ("2018", "2021")),  # a trim
        ({"datetime": "../2019-01-01T00:00:00Z"}, ("2018",)),
        ({"datetime": "2019-01-01T00:00:00Z/.."}, ("2021",)),
        ({"datetime": "/2019-01-01T00:00:00Z"}, ("2018",)),  # empty = open
        ({"subset": f'{SMALL},time("2021-03-01")'}, ("2021",)),
        ({"subset": [SMALL, 'time("2017-01-01":"2019-01-01")']}, ("2018",)),
        ({"subset": f"{SMALL},time(*:2020-01-01)"}, ("2018",)),  # wildcard-limits A
        ({"subset": f"{SMALL},time(2020-01-01:*)"}, ("2021",)),  # B
        ({"subset": f"{SMALL},time(*)"}, ("2021",)),  # C: the newest
        ({}, ("2021",)),
    ],
)
def test_years_selected(api, http, params, expected):
    """/req/subsetting-temporal/subset, wildcard-limits, multiple-subset, datetime A-C."""
    if "subset" in params:
        with tif(http.get(coverage_url(api), params=params, timeout=60)) as ds:
            assert ds.descriptions == expected
    else:
        assert years(api, http, **params) == expected


def test_years_are_bands_of_the_right_pixels(api, http, demo_pixels):
    with tif(
        http.get(coverage_url(api), params={"subset": SMALL, "datetime": "2018/2021"}, timeout=60)
    ) as ds:
        assert np.array_equal(ds.read(1), demo_pixels[2018][:50, :50])
        assert np.array_equal(ds.read(2), demo_pixels[2021][:50, :50])


def test_out_of_bounds_is_404(api, http):
    """/req/subsetting-temporal/out-of-bounds."""
    for params in ({"datetime": "1990"}, {"subset": f'{SMALL},time("1990-01-01":"1995-01-01")'}):
        r = http.get(coverage_url(api), params={"subset": SMALL, **params}, timeout=60)
        assert r.status_code == 404, params


@pytest.mark.parametrize(
    "params",
    [
        {"subset": f'{SMALL},time("2018")', "datetime": "2018"},  # datetime exclusivity
        {"datetime": "yesterday"},
        {"datetime": "2021/2018"},
        {"subset": f"{SMALL},epoch(1:2)"},  # subset-invalid-axis
    ],
)
def test_errors_are_400(api, http, params):
    r = http.get(coverage_url(api), params={"subset": SMALL, **params}, timeout=60)
    assert r.status_code == 400, r.text
