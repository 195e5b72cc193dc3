"""OGC API - Coverages 1.0 (rc2), ``.../conf/coveragejson``: CoverageJSON by negotiation,
under its registered type or the older ``application/prs.coverage+json`` (answered as
asked): a Coverage with its grid domain, the categorical parameter and the codes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.standards.coverage import coverage_url
from tests.standards.helpers import DEMO_RASTER, OGC, REL

pytestmark = pytest.mark.services
CLASS = f"{OGC}/ogcapi-coverages-1/1.0/conf/coveragejson"
SMALL = {"subset": "E(4300000:4300500),N(2699500:2700000)"}


def test_declared(conforms_to):
    assert CLASS in conforms_to


@pytest.mark.parametrize(
    ("how", "media"),
    [
        ({"headers": {"Accept": "application/vnd.cov+json"}}, "application/vnd.cov+json"),
        ({"headers": {"Accept": "application/prs.coverage+json"}}, "application/prs.coverage+json"),
        ({"params": {"f": "coveragejson"}}, "application/vnd.cov+json"),
    ],
)
def test_coveragejson(api, http, demo_pixels, how, media):
    """/req/coveragejson/coverage A-B."""
    r = http.get(
        coverage_url(api),
        params={**SMALL, **how.get("params", {})},
        headers=how.get("headers"),
        timeout=60,
    )
    assert r.status_code == 200 and r.headers["Content-Type"] == media
    cov = r.json()
    assert cov["type"] == "Coverage" and cov["domain"]["domainType"] == "Grid"
    assert set(cov["domain"]["axes"]) >= {"x", "y"}
    parameter = cov["parameters"]["land_cover"]
    assert parameter["type"] == "Parameter" and parameter["categoryEncoding"]
    values = np.array([255 if v is None else v for v in cov["ranges"]["land_cover"]["values"]])
    assert np.array_equal(values.reshape(50, 50), demo_pixels[2021][:50, :50])


def test_the_advertised_type_is_the_one_answered(api, http):
    doc = http.get(f"{api}/collections/{DEMO_RASTER}", timeout=30).json()
    for link in doc["links"]:
        if link["rel"] == f"{REL}coverage" and "json" in link["type"]:
            r = http.get(link["href"], params=SMALL, timeout=60)
            assert r.headers["Content-Type"] == link["type"]
