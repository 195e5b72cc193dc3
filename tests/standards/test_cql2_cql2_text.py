"""CQL2, ``http://www.opengis.net/spec/cql2/1.0/conf/cql2-text``: filters in CQL2 text, the
default ``filter-lang``, by GET and as a ``text/plain``/``application/cql2-text`` body; a
text that is not CQL2 is a 400 (every ATS predicate in text runs in the class modules)."""

from __future__ import annotations

import pytest

from tests.standards.helpers import COUNTRIES, OGC, PLACES

pytestmark = pytest.mark.services
CLASS = f"{OGC}/cql2/1.0/conf/cql2-text"


def test_declared(conforms_to):
    assert CLASS in conforms_to


def count(http, url, **kwargs) -> int:
    r = (http.post if "data" in kwargs else http.get)(url, timeout=30, **kwargs)
    assert r.status_code == 200, r.text
    return r.json()["numberReturned"]


def test_text_by_get_and_post(api, http):
    url = f"{api}/collections/{COUNTRIES}/items"
    text = "CONTINENT = 'Europe' AND POP_EST > 10000000"
    expected = count(http, url, params={"filter": text, "filter-lang": "cql2-text"})
    assert expected > 0
    assert count(http, url, params={"filter": text}) == expected  # the default language
    for media in ("text/plain", "application/cql2-text"):
        assert count(http, url, data=text.encode(), headers={"Content-Type": media}) == expected


def test_keywords_are_case_insensitive_property_names_are_not(api, http):
    url = f"{api}/collections/{PLACES}/items"
    assert count(http, url, params={"filter": "name = 'Vatican City' and pop_max = 832"}) == 1
    upper = http.get(url, params={"filter": "NAME = 'Vatican City'"}, timeout=30)
    assert upper.status_code == 400 and "NAME" in upper.json()["detail"]  # not a queryable
    assert count(http, url, params={"filter": "date = DATE('2022-04-16')"}) >= 0


@pytest.mark.parametrize(
    "text",
    ["name = ", "name === 'x'", "S_INTERSECTS(geom, POINT(1))", "name = 'unterminated", "((x"],
)
def test_not_cql2_is_400(api, http, text):
    r = http.get(f"{api}/collections/{PLACES}/items", params={"filter": text}, timeout=30)
    assert r.status_code == 400 and r.json()["type"] == "InvalidParameterValue"
