"""Requests an attacker would send, against the real stack under gunicorn: each answers a
4xx OGC exception document naming what was wrong, and no web worker dies on the way (the
cql2 parser segfaults on deep input: docs/upstream/cql2-deep-nesting.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from landgrid.guards import LIMITS
from landgrid.web.app import create_app

pytestmark = pytest.mark.services

ITEMS = "/collections/clcplus-backbone-polygons/items"
COVERAGE = "/collections/clcplus-backbone/coverage"
CQL2_JSON = {"Content-Type": "application/query-cql-json"}
GEOJSON = {"Content-Type": "application/geo+json"}
SQUARE = [[[9.80, 47.30], [9.801, 47.30], [9.801, 47.301], [9.80, 47.301], [9.80, 47.30]]]


def refused(response: requests.Response, status: int = 400, *words: str) -> str:
    """The answer is ``status`` with an OGC exception document whose detail has ``words``."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert body["status"] == status and body["type"] and body["detail"]
    for word in words:
        assert word in body["detail"], body["detail"]
    return body["detail"]


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def statistics(zones: object) -> dict:
    return {"inputs": {"product": "clcplus-backbone", "year": 2021, "zones": zones}}


@pytest.fixture(scope="module")
def web_log(base_url: str, settings) -> Path:
    return Path(settings.data_dir) / "logs" / "web.log"


@pytest.fixture(autouse=True)
def no_worker_died(base_url: str, web_log: Path):
    """After each test the server answers and gunicorn logged no killed worker."""
    before = web_log.stat().st_size
    yield
    assert requests.get(f"{base_url}/conformance", timeout=30).status_code == 200
    with web_log.open("rb") as log:
        log.seek(before)
        logged = log.read().decode(errors="replace")
    for sign in ("SIGSEGV", "Worker was sent", "WORKER TIMEOUT", "Traceback"):
        assert sign not in logged, logged[-3000:]


# --- CQL2: crashes and exponential parses refused before the parser --------------------
@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("(" * 1800 + "code = 1" + ")" * 1800, "nesting depth over 12"),
        (" OR ".join(["code = 1"] * 30_000), "characters, over the limit"),
        (" OR ".join(["code=1"] * 1_500), "more than 1000 operators"),
        ("(" * 22 + "code = 1", "nesting depth over 12"),
        ("(" * 12 + "code = 1", "unbalanced parentheses"),
        ("label = 'a\x00'", "a NUL character"),
        ("label = 'unterminated", "unterminated quoted string literal"),
    ],
)
def test_cql2_text_over_a_limit(base_url, text, limit):
    """By POST (the GET URL of the biggest would be over gunicorn's request line)."""
    r = requests.post(
        f"{base_url}{ITEMS}", data=text.encode(), headers={"Content-Type": "text/plain"}, timeout=60
    )
    refused(r, 400, limit)


def test_cql2_text_by_get(base_url):
    deep = "(" * 300 + "code = 1" + ")" * 300
    refused(requests.get(f"{base_url}{ITEMS}", params={"filter": deep}, timeout=60), 400, "12")
    r = requests.get(f"{base_url}{ITEMS}", params={"filter": "label = 'a\x00'"}, timeout=60)
    refused(r, 400, "NUL")


def test_a_50_mb_filter_is_refused_by_its_size(base_url):
    r = requests.post(
        f"{base_url}{ITEMS}",
        data=b"code = 1 OR " * (50 * 1024 * 1024 // 12),
        headers={"Content-Type": "text/plain"},
        timeout=120,
    )
    refused(r, 413, f"{LIMITS.json_bytes} bytes", "LANDGRID_LIMIT_JSON_BYTES")


def test_cql2_json_limits(base_url):
    clause = {"op": "=", "args": [{"property": "code"}, 1]}
    flat = {"op": "and", "args": [clause] * 10_000}
    r = requests.post(f"{base_url}{ITEMS}", json=flat, headers=CQL2_JSON, timeout=60)
    refused(r, 400, "10000 arguments, over the limit of 1000")
    text = '{"op":"and","args":[' * 10_000 + json.dumps(clause) + ",true]}" * 10_000
    r = requests.post(f"{base_url}{ITEMS}", data=text, headers=CQL2_JSON, timeout=60)
    refused(r, 400, "nesting depth over 64")


def test_cql2_json_boolean_bodies(base_url):
    """``false`` is a CQL2 JSON expression (it gave a TypeError); so is ``true``."""
    for body, matched in (("false", 0), ("true", None)):
        r = requests.post(f"{base_url}{ITEMS}?limit=1", data=body, headers=CQL2_JSON, timeout=60)
        assert r.status_code == 200, r.text
        if matched == 0:
            assert r.json()["features"] == []
        else:
            assert len(r.json()["features"]) == 1


@pytest.mark.parametrize("kind", ["cql2-json", "geojson", "execute"])
def test_json_nested_100000_deep(base_url, kind):
    url, headers = {
        "cql2-json": (f"{base_url}{ITEMS}", CQL2_JSON),
        "geojson": (f"{base_url}{ITEMS}", GEOJSON),
        "execute": (f"{base_url}/processes/echo/execution", {"Content-Type": "application/json"}),
    }[kind]
    r = requests.post(url, data=nested_json(100_000), headers=headers, timeout=60)
    if kind == "geojson":  # a write: the demo collection is read-only, before any parsing
        assert r.status_code in (400, 405), r.text
        return
    refused(r, 400, "nesting depth over 64")


# --- NUL, lone surrogates and control characters anywhere -------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/jobs/%00",
        "/jobs?processID=%00",
        "/jobs?status=%00",
        "/collections/%00",
        f"{ITEMS}?label=%00",
        f"{ITEMS}?filter=label%3D%27a%00%27",
        f"{ITEMS}?sortby=%00",
        "/processes/%00",
        "/collections?f=%1b",
        "/jobs?%00=1",
    ],
)
def test_nul_and_control_characters_in_the_url(base_url, path):
    refused(requests.get(f"{base_url}{path}", timeout=60), 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"inputs": {"echoInput": "a\\u0000b"}}',
        '{"inputs": {"echoInput": "\\ud800"}}',
        '{"inputs": {"echoInput": "ok"}, "subscriber": {"successUri": "http://x/\\u0000"}}',
        '{"inputs": {"echo\\u0000Input": "a"}}',
    ],
)
def test_nul_and_surrogates_in_process_inputs(base_url, body):
    r = requests.post(
        f"{base_url}/processes/echo/execution",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    detail = refused(r, 400)
    assert "NUL" in detail or "surrogate" in detail


def test_what_gunicorn_refuses_is_an_ogc_exception_too(base_url):
    """A request line or a header over gunicorn's limits never reaches the app: our worker
    class answers them as the app would (found by schemathesis: gunicorn's HTML page)."""
    refused(requests.get(f"{base_url}/collections?f=json&q={'x' * 5000}", timeout=60), 414)
    big = {"X-Big": "y" * 9000}
    refused(requests.get(f"{base_url}/collections", headers=big, timeout=60), 431)


def test_control_characters_in_headers_we_store(settings, stack):
    """gunicorn refuses most of them itself (a 400, see above); what passes it is ours.
    In process: the app answers whatever the server in front lets through."""
    client = create_app(settings).test_client()
    for key in ("a\x01b", "a\x00", "x" * 256, ""):
        r = client.post(
            "/processes/echo/execution",
            json={"inputs": {"echoInput": "a"}},
            headers={"Idempotency-Key": key},
        )
        assert r.status_code == 400 and "Idempotency-Key" in r.json["detail"], (key, r.json)


def test_results_path_traversal_is_a_json_404(base_url):
    r = requests.get(f"{base_url}/jobs/x/results/..%2F..", timeout=60)
    refused(r, 404)


# --- numbers: overflow and underflow are the client's 400 --------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "scale-factor=5e-324",
        "scale-factor=1e-300&resolution=1e-300",
        "resolution=1e-320",
        "scale-size=E(99999999999999999999999)",
        "width=1" + "0" * 400,
        "bbox=0,0,1e400,1",
        "subset=E(1e400:1e401)",
    ],
)
def test_coverage_numeric_overflow(base_url, query):
    refused(requests.get(f"{base_url}{COVERAGE}?{query}&f=png", timeout=60), 400)


@pytest.mark.parametrize(
    "query",
    [
        "minDuration=1" + "0" * 400,
        "maxDuration=1" + "0" * 400,
        "limit=1" + "0" * 400,
        "datetime=99999-01-01T00:00:00Z",
    ],
)
def test_job_list_numeric_overflow(base_url, query):
    refused(requests.get(f"{base_url}/jobs?{query}", timeout=60), 400)


def test_items_numeric_overflow(base_url):
    for query in ("bbox=0,0,1e400,1", "limit=1" + "0" * 400, "area_m2=1e400", "code=1e400"):
        r = requests.get(f"{base_url}{ITEMS}?{query}", timeout=60)
        assert r.status_code in (200, 400), (query, r.text)  # limit is clamped: 200
        assert r.headers["Content-Type"].startswith(("application/json", "application/geo+json"))


def test_execute_prefer_wait_overflow(base_url):
    r = requests.post(
        f"{base_url}/processes/echo/execution",
        json={"inputs": {"echoInput": "a"}},
        headers={"Prefer": "wait=1" + "0" * 400},
        timeout=60,
    )
    assert r.status_code == 200, r.text


# --- GeoJSON: coordinates, sizes, zones ---------------------------------------------------
@pytest.mark.parametrize("value", [1e308, float("inf"), 1e10])
def test_zone_coordinates_out_of_range(base_url, value):
    ring = [[value if i == 1 else x, y] for i, (x, y) in enumerate(SQUARE[0])]
    zones = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    body = json.dumps(statistics(zones)).replace("Infinity", "1e999")
    r = requests.post(
        f"{base_url}/processes/landcover-statistics/execution",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    refused(r, 400, "zones/features/0/geometry/coordinates", "finite numbers within")


def test_aoi_coordinates_out_of_range(base_url):
    r = requests.post(
        f"{base_url}/processes/extract/execution",
        json={
            "inputs": {
                "product": "clcplus-backbone",
                "year": 2021,
                "aoi": {"bbox": [0, 0, 1e308, 1], "crs": "EPSG:3035"},
            }
        },
        timeout=60,
    )
    refused(r, 400, "aoi/bbox", "finite numbers within")


def test_20000_identical_zones_are_refused_at_once(base_url):
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    zones = {"type": "FeatureCollection", "features": [feature] * 20_000}
    r = requests.post(
        f"{base_url}/processes/landcover-statistics/execution",
        json=statistics(zones),
        headers={"Prefer": "respond-async"},
        timeout=120,
    )
    refused(r, 400, "pairs of overlapping zones", "LANDGRID_LIMIT_ZONE_OVERLAPS")


def test_too_many_zones(base_url):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.8, 47.3]}}
    zones = {"type": "FeatureCollection", "features": [feature] * (LIMITS.geojson_features + 1)}
    r = requests.post(
        f"{base_url}/processes/landcover-statistics/execution", json=statistics(zones), timeout=120
    )
    refused(r, 400, "features, over the limit of")


def test_zones_filter_guarded_like_items(base_url):
    """Zones by reference take their CQL2 through the same parse: same limits."""
    zones = {"collection": "clcplus-backbone-polygons", "filter": "(" * 1800 + "code=1"}
    r = requests.post(
        f"{base_url}/processes/landcover-statistics/execution", json=statistics(zones), timeout=60
    )
    refused(r, 400, "nesting depth over 12")


def test_callbacks_to_internal_addresses_are_refused(base_url):
    """The stack allows loopback for the tests' receivers; link-local, private and
    metadata addresses stay refused."""
    for uri in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0:1/cb",
        "ftp://example.org/cb",
    ):
        r = requests.post(
            f"{base_url}/processes/echo/execution",
            json={"inputs": {"echoInput": "a"}, "subscriber": {"successUri": uri}},
            timeout=60,
        )
        refused(r, 400, "subscriber 'successUri'")
