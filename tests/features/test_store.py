"""The features core against the real PostGIS: CQL2 predicates, paging, CRS, bad input."""

from __future__ import annotations

import json
import unicodedata

import pytest

from landgrid.db import engine
from landgrid.features.errors import InvalidParameter
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore
from landgrid.features.table import forget

from .ats import ERRATA, params

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def stores(cql2_products, database) -> dict[str, FeatureStore]:
    return {pid: FeatureStore(database, p, FeatureSettings()) for pid, p in cql2_products.items()}


def fetch(store: FeatureStore, args: dict, body=None, lang=None) -> list[dict]:
    info, req = store.parse(args, body, lang)
    page = store.items(info, req)
    return [json.loads(f) for f in page.features]


def count(store: FeatureStore, args: dict) -> int:
    info, req = store.parse({"limit": "10000", **args})
    page = store.items(info, req)
    assert page.next is None
    return len(page.features)


@pytest.mark.parametrize("lang", ["cql2-text", "cql2-json"])
@pytest.mark.parametrize("predicate", params())
def test_cql2_conformance_predicate(stores, predicate, lang):
    source = predicate["cql2_text"] if lang == "cql2-text" else json.dumps(predicate["cql2_json"])
    store = stores[predicate["collection"]]
    assert count(store, {"filter": source, "filter-lang": lang}) == predicate["expected_count"]


def test_ats_errata(stores):
    """The three xfail predicates: our counts equal an independent evaluation in Python."""
    names = [
        f["properties"]["name"]
        for f in fetch(stores["ne_110m_populated_places_simple"], {"limit": "1000"})
    ]

    def fold(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))

    expected = {
        "ACCENTI(name) LIKE accenti('Ch%')": sum(fold(n).startswith("Ch") for n in names),
        "ACCENTI(CASEI(name)) LIKE accenti(casei('Chiș%'))": sum(
            fold(n.lower()).startswith("chis") for n in names
        ),
        "ACCENTI(CASEI(name)) LIKE accenti(casei('cHis%'))": sum(
            fold(n.lower()).startswith("chis") for n in names
        ),
    }
    assert expected == ERRATA
    for text, n in expected.items():
        assert count(stores["ne_110m_populated_places_simple"], {"filter": text}) == n


def test_keyset_paging_walks_every_row_once(stores):
    store = stores["ne_110m_populated_places_simple"]
    for sortby in ("", "name", "-pop_max", "boolean,-start"):
        args = {"limit": "17", **({"sortby": sortby} if sortby else {})}
        seen, pages = [], []
        info, req = store.parse(args)
        page = store.items(info, req)
        while True:
            pages.append(page)
            seen += [json.loads(f)["id"] for f in page.features]
            if not page.next:
                break
            info, req = store.parse({**args, "cursor": page.next})
            page = store.items(info, req)
        assert len(seen) == len(set(seen)) == 243, sortby
        # walking back from the last page gives the same pages in reverse
        back = pages[-1]
        for expected in reversed(pages[:-1]):
            info, req = store.parse({**args, "cursor": back.prev})
            back = store.items(info, req)
            assert back.features == expected.features, sortby


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("0000-01-01T00:00:00Z/..", {"København", "Berlin", "Athens"}),  # QGIS's "any time"
        ("../2022-01-01T00:00:00Z", {"København"}),
        ("2022-04-16", {"København", "Berlin", "Athens"}),
        ("2022-04-16T10:14:00Z", {"København", "Berlin"}),
        ("2022-12-17/..", {"Berlin"}),
        ("0000-01-01T00:00:00Z/2021-12-31T23:59:59Z", {"København"}),
        ("2024-02-23T00:00:00Z/2030-01-01T00:00:00Z", set()),
    ],
)
def test_datetime_meets_the_start_end_interval(stores, value, names):
    """Three places carry a start/end interval; the other 240 have no time, and match any
    ``datetime`` (``/req/core/fc-time-response`` C)."""
    features = fetch(
        stores["ne_110m_populated_places_simple"], {"datetime": value, "limit": "1000"}
    )
    timed = [f for f in features if f["properties"]["start"] or f["properties"]["end"]]
    assert {f["properties"]["name"] for f in timed} == names
    assert len(features) - len(timed) == 240


def test_numbermatched_only_when_cheap_or_asked(stores, database):
    """A first page counts up to the bound; later pages and count=false do not."""
    store = stores["ne_110m_admin_0_countries"]
    info, req = store.parse({"limit": "10"})
    first = store.items(info, req)
    assert first.number_matched == 177
    info, req = store.parse({"limit": "10", "cursor": first.next})
    assert store.items(info, req).number_matched is None
    info, req = store.parse({"limit": "10", "count": "false"})
    assert store.items(info, req).number_matched is None
    info, req = store.parse({"limit": "10", "count": "true", "cursor": first.next})
    assert store.items(info, req).number_matched == 177
    info, req = store.parse({"limit": "1000", "count": "false"})
    assert store.items(info, req).number_matched == 177  # the whole result: no count needed
    info, req = store.parse({"limit": "10", "filter": "POP_EST > 0"})
    assert store.items(info, req).number_matched is None  # filtered: only when asked
    bounded = FeatureStore(database, store.product, FeatureSettings(count_bound=100))
    info, req = bounded.parse({"limit": "10"})
    assert bounded.items(info, req).number_matched is None  # more than the bound match


def test_crs_axis_order(stores):
    store = stores["ne_110m_populated_places_simple"]
    args = {"filter": "name='København'"}
    lonlat = fetch(store, args)[0]["geometry"]["coordinates"]
    latlon = fetch(store, {**args, "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})[0]
    assert latlon["geometry"]["coordinates"] == pytest.approx(lonlat[::-1])
    laea = fetch(store, {**args, "crs": "http://www.opengis.net/def/crs/EPSG/0/3035"})[0]
    northing, easting = laea["geometry"]["coordinates"]  # EPSG:3035 is northing first
    assert 3.5e6 < northing < 3.7e6 and 4.4e6 < easting < 4.6e6


def test_bbox_crossing_the_antimeridian(stores):
    store = stores["ne_110m_admin_0_countries"]
    crossing = {
        f["properties"]["NAME"] for f in fetch(store, {"bbox": "177,65,-177,70", "limit": "100"})
    }
    assert "Russia" in crossing
    assert "United States of America" not in crossing  # Alaska's mainland is east of -177
    lat_first = fetch(
        store,
        {
            "bbox": "65,177,70,-177",
            "limit": "100",
            "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326",
        },
    )
    assert {f["properties"]["NAME"] for f in lat_first} == crossing


@pytest.mark.parametrize(
    "args",
    [
        {"limit": "unlimited"},
        {"limit": "0"},
        {"bbox": "1,2,3"},
        {"bbox": "0,10,5,0"},
        {"bbox": "1,2,3,x"},
        {"crs": "EPSG:999999"},
        {"bbox-crs": "http://example.org/crs"},
        {"filter": "name = "},
        {"filter": "nosuch = 1"},
        {"filter": '{"op": 1}', "filter-lang": "cql2-json"},
        {"filter": "name = 'x'; DROP TABLE ne_110m_admin_0_countries"},
        {"sortby": "name;DROP TABLE x"},
        {"properties": 'name,"x"'},
        {"datetime": "yesterday"},
        {"cursor": "!!!"},
        {"pop_max": "many"},
        {"skipGeometry": "maybe"},
        {"frobnicate": "1"},
        {"filter": "pop_max = 'text'"},
        {"filter": "S_INTERSECTS(geom, POINT(1))"},
        {"filter-lang": "sql"},
    ],
)
def test_bad_input_is_invalid_parameter(stores, args):
    store = stores["ne_110m_populated_places_simple"]
    with pytest.raises(InvalidParameter):
        info, req = store.parse(args)
        store.items(info, req)


def test_a_read_survives_a_dead_pooled_connection(cql2_products, database):
    """Reads skip the per-checkout ping (a round trip per request): a pooled connection
    killed under them (a database restart) costs one retry, never an error."""
    store = FeatureStore(
        database,
        cql2_products["ne_110m_admin_0_countries"],
        FeatureSettings(pool_size=1, max_overflow=0, statement_timeout_ms=14999),
    )
    for _ in range(2):  # once with the description cached, once with it read afresh
        with store.reader.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine(database).connect() as admin:
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid}, 10000)").scalar()
        info, req = store.parse({"limit": "5"})
        assert len(store.items(info, req).features) == 5
        forget(store.product)
