"""CQL2, ``http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions``: The temporal
relations (T_AFTER ... T_INTERSECTS) on instants and intervals.

The abstract test suite's predicates of the class, over the CQL2 conformance data, in CQL2
text and JSON, by GET and POST: each answers the expected number of features."""

from __future__ import annotations

import pytest

from tests.standards.cql2 import check, sweep
from tests.standards.helpers import OGC

pytestmark = pytest.mark.services
CLASS = f"{OGC}/cql2/1.0/conf/temporal-functions"


def test_declared(conforms_to):
    assert CLASS in conforms_to


@sweep("temporal-functions")
def test_predicate(api, http, predicate, mode):
    check(http, api, predicate, mode)
