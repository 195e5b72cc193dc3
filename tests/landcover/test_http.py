"""The land-cover processes end to end over HTTP, through Prefect, on the demo product
(``clcplus-backbone``, 2018 and 2021) of the test stack."""

from __future__ import annotations

import csv
import io

import pytest
import rasterio
import requests
import sqlalchemy as sa

from landgrid.db import engine
from landgrid.features.product import load_vector_product
from tests.processes.test_jobs import execute, wait_status

pytestmark = pytest.mark.services

PRODUCT = "clcplus-backbone"
# 2 km x 2 km in the north-west corner of the demo product (EPSG:3035)
SQUARE = [
    [4300000, 2698000],
    [4302000, 2698000],
    [4302000, 2700000],
    [4300000, 2700000],
    [4300000, 2698000],
]
ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "nw",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        }
    ],
}


def test_statistics_async_with_csv(base_url):
    r = execute(
        base_url,
        "landcover-statistics",
        {"product": PRODUCT, "year": [2018, 2021], "zones": ZONES, "zonesCrs": "EPSG:3035"},
        prefer="respond-async",
        response="document",
    )
    assert r.status_code == 201, r.text
    job = wait_status(base_url, r.json()["jobID"])
    assert job["status"] == "successful", job
    results = requests.get(f"{base_url}/jobs/{job['jobID']}/results", timeout=30).json()
    zone = results["statistics"]["zones"][0]
    for year in ("2018", "2021"):
        assert zone["years"][year]["pixels"] == 200 * 200  # 2 km / 10 m, centre-in
        assert zone["years"][year]["area_ha"] == pytest.approx(400)
    table = requests.get(results["table"]["href"], timeout=30)
    assert table.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert sum(int(r["pixels"]) for r in rows if r["year"] == "2021") == 200 * 200


def test_statistics_zones_from_a_collection(base_url):
    zones = {"collection": "clcplus-backbone-polygons", "filter": "code = 1 AND area_m2 > 5000"}
    r = execute(
        base_url,
        "landcover-statistics",
        {"product": PRODUCT, "year": 2021, "zones": zones},
        response="document",
    )
    assert r.status_code == 200, r.text
    zones_out = r.json()["statistics"]["zones"]
    assert zones_out
    for zone in zones_out:  # polygons of class 1 in 2021 are class 1 in 2021
        classes = zone["years"]["2021"]["classes"]
        assert [c["code"] for c in classes] == [1]
        assert zone["years"]["2021"]["area_m2"] == pytest.approx(zone["properties"]["area_m2"])


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"product": "nope", "year": 2021, "zones": ZONES}, "no raster product"),
        ({"product": PRODUCT, "year": 2000, "zones": ZONES}, "has no year"),
        (
            {
                "product": PRODUCT,
                "year": 2021,
                "zones": {"collection": "clcplus-backbone-polygons", "filter": "code = 99"},
            },
            "selects no feature",
        ),
        (
            {"product": PRODUCT, "year": 2021, "zones": {"collection": "nope"}},
            "no feature collection",
        ),
        (
            {
                "product": PRODUCT,
                "year": 2021,
                "zones": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
                        }
                    ],
                },
            },
            "no feature has a Polygon",
        ),
    ],
)
def test_statistics_bad_input_is_400_and_no_job(base_url, inputs, message):
    before = requests.get(
        f"{base_url}/jobs?processID=landcover-statistics&limit=1000", timeout=10
    ).json()["jobs"]
    r = execute(base_url, "landcover-statistics", inputs)
    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]
    after = requests.get(
        f"{base_url}/jobs?processID=landcover-statistics&limit=1000", timeout=10
    ).json()["jobs"]
    assert len(after) == len(before)


BOX = {
    "bbox": [4300000, 2698000, 4302000, 2700000],
    "crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
}


def run_async(base_url, process, inputs):
    r = execute(base_url, process, inputs, prefer="respond-async", response="document")
    assert r.status_code == 201, r.text
    job = wait_status(base_url, r.json()["jobID"])
    return job, requests.get(f"{base_url}/jobs/{job['jobID']}/results", timeout=30)


def test_extract_cog_by_reference(base_url):
    job, r = run_async(
        base_url,
        "extract",
        {"product": PRODUCT, "year": [2018, 2021], "aoi": BOX, "outputCrs": "EPSG:4326"},
    )
    assert job["status"] == "successful", job
    results = r.json()
    cog = requests.get(results["coverage"]["href"], timeout=30)
    assert cog.headers["Content-Type"].startswith("image/tiff")
    with rasterio.MemoryFile(cog.content) as mem, mem.open() as tif:
        assert tif.crs.to_epsg() == 4326 and tif.count == 2
    meta = requests.get(results["metadata"]["href"], timeout=30).json()
    assert meta["product"] == PRODUCT and meta["years"] == [2018, 2021]


def test_extract_over_the_limit_is_400(base_url):
    r = execute(
        base_url, "extract", {"product": PRODUCT, "year": 2021, "aoi": {"bbox": [-10, 35, 30, 60]}}
    )
    assert r.status_code == 400
    assert "over the limit" in r.json()["detail"]


def test_change_detection(base_url):
    job, r = run_async(
        base_url, "change-detection", {"product": PRODUCT, "yearA": 2018, "yearB": 2021, "aoi": BOX}
    )
    assert job["status"] == "successful", job
    body = r.json()["transitions"]
    assert sum(t["pixels"] for t in body["transitions"]) <= 200 * 200
    change = requests.get(r.json()["change"]["href"], timeout=30)
    with rasterio.MemoryFile(change.content) as mem, mem.open() as tif:
        assert tif.shape == (200, 200)


def test_vectorize_links_its_collection(base_url):
    job, r = run_async(base_url, "vectorize", {"product": PRODUCT, "year": 2021, "aoi": BOX})
    assert job["status"] == "successful", job
    results = r.json()
    assert results["collection"]["rel"] == "collection"
    assert results["collection"]["href"].startswith(f"{base_url}/collections/{PRODUCT}-2021-")
    gpkg = requests.get(results["geopackage"]["href"], timeout=30)
    assert gpkg.content[:15] == b"SQLite format 3"
    # published without a restart, in every web worker
    href = results["collection"]["href"]
    for _ in range(4):
        collection = requests.get(href, timeout=30)
        assert collection.status_code == 200, collection.text
        items = requests.get(f"{href}/items?limit=5&filter=code>0", timeout=30)
        assert items.status_code == 200, items.text
        assert items.headers["Content-Type"].startswith("application/geo+json")
        assert len(items.json()["features"]) == min(5, results["summary"]["polygons"])
    listed = requests.get(f"{base_url}/collections", timeout=30).json()["collections"]
    assert results["collection"]["id"] in [c["id"] for c in listed]


def test_ingest_good_then_bad(base_url, shared_data, tmp_path):
    source = shared_data / "lausanne-clc" / "ls100_12.tif"
    job, r = run_async(
        base_url,
        "ingest",
        {"product": "corine-land-cover", "year": 2012, "source": str(source), "replace": True},
    )
    assert job["status"] == "successful", job
    assert r.json()["report"]["year"] == 2012
    bad = tmp_path / "bad.tif"
    with rasterio.open(source) as src:
        profile, data = src.profile, src.read()
    data[0, 0, 0] = 200
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(data)
    bad.parent.chmod(0o755)
    job, r = run_async(
        base_url,
        "ingest",
        {"product": "corine-land-cover", "year": 2006, "source": str(bad), "replace": True},
    )  # the source is checked whole before anything is replaced
    assert job["status"] == "failed"
    assert "values not in the legend" in job["message"] and "200" in job["message"]
    assert r.status_code == 400
    assert r.json()["type"] == "InvalidParameterValue"


def test_the_five_processes_are_listed_and_described(base_url):
    listed = requests.get(f"{base_url}/processes", params={"limit": 100}, timeout=30).json()
    ids = {p["id"] for p in listed["processes"]}
    processes = ("landcover-statistics", "extract", "change-detection", "vectorize", "ingest")
    assert set(processes) <= ids
    for process in processes:
        description = requests.get(f"{base_url}/processes/{process}", timeout=30).json()
        assert len(description["description"]) > 200
        assert description["inputs"] and description["outputs"]


def test_dismissing_a_vectorize_job_drops_its_table_and_collection(base_url, settings):
    job, r = run_async(base_url, "vectorize", {"product": PRODUCT, "year": 2018, "aoi": BOX})
    assert job["status"] == "successful", job
    collection = r.json()["collection"]
    definitions = settings.data_dir / "vector-products"

    def published() -> tuple[bool, bool]:
        with engine(settings.db_url()).connect() as conn:
            table = conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": collection["table"]})
        ids = [load_vector_product(p).id for p in definitions.glob("*.yml")]
        return table.scalar() is not None, collection["id"] in ids

    assert published() == (True, True)
    url = f"{base_url}/collections/{collection['id']}"
    # new connections spread over the web workers: each one picks the collection up ...
    assert all(requests.get(url, timeout=30).status_code == 200 for _ in range(8))
    gone = requests.delete(f"{base_url}/jobs/{job['jobID']}", timeout=30)
    assert gone.status_code == 200 and gone.json()["status"] == "dismissed"
    assert published() == (False, False)
    # ... and each one drops it again
    assert all(requests.get(url, timeout=30).status_code == 404 for _ in range(8))
    listed = requests.get(f"{base_url}/collections?f=json", timeout=30).json()["collections"]
    assert collection["id"] not in {c["id"] for c in listed}
    assert requests.delete(f"{base_url}/jobs/{job['jobID']}", timeout=30).status_code == 404


def test_extract_a_vector_product_as_geopackage(base_url):
    job, r = run_async(
        base_url,
        "extract",
        {"product": f"{PRODUCT}-polygons", "aoi": BOX, "outputCrs": "EPSG:4326"},
    )
    assert job["status"] == "successful", job
    results = r.json()
    assert set(results) == {"features", "metadata"}
    gpkg = requests.get(results["features"]["href"], timeout=30)
    assert gpkg.headers["Content-Type"] == "application/geopackage+sqlite3"
    assert gpkg.content[:15] == b"SQLite format 3"
    meta = requests.get(results["metadata"]["href"], timeout=30).json()
    assert meta["features"] > 0 and meta["crs"] == "EPSG:4326"


def test_statistics_fraction_sync(base_url):
    r = execute(
        base_url,
        "landcover-statistics",
        {"product": PRODUCT, "year": 2021, "zones": ZONES, "zonesCrs": "EPSG:3035"}
        | {"method": "fraction"},
        response="document",
    )
    assert r.status_code == 200, r.text
    stats = r.json()["statistics"]
    assert stats["method"] == "fraction"
    year = stats["zones"][0]["years"]["2021"]
    # the square is pixel-aligned: every pixel fully covered, the same as centre-in
    assert year["pixels"] == pytest.approx(200 * 200)
    assert sum(c["area_ha"] for c in year["classes"]) == pytest.approx(400)
