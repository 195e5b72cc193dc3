"""Real clients against the served collections: GDAL's OAPIF driver, QGIS and OWSLib."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from landgrid.db import engine

pytestmark = pytest.mark.services
PLACES = "ne_110m_populated_places_simple"


def table_count(database: str, table: str) -> int:
    with engine(database).connect() as conn:
        return conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) not installed")
@pytest.mark.parametrize(
    ("collection", "table"),
    [
        ("ne_110m_admin_0_countries", "ne_110m_admin_0_countries"),
        ("clcplus-backbone-polygons", "clcplus_backbone_polygons"),
    ],
)
def test_ogrinfo_reads_every_feature_through_next_links(features_url, database, collection, table):
    """Small pages force GDAL to follow many ``next`` links; the count equals the table."""
    out = subprocess.run(
        [
            "ogrinfo",
            "-ro",
            "-al",
            "-q",
            "-oo",
            "PAGE_SIZE=37",
            f"OAPIF:{features_url}/collections/{collection}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert out.count("OGRFeature(") == table_count(database, table)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) not installed")
def test_ogrinfo_spatial_filter_and_attribute_filter(features_url, settings):
    out = subprocess.run(
        [
            "ogrinfo",
            "-ro",
            "-al",
            "-q",
            "-spat",
            "5",
            "45",
            "15",
            "55",
            "-where",
            "CONTINENT = 'Europe'",
            f"OAPIF:{features_url}/collections/ne_110m_admin_0_countries",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "NAME (String) = Germany" in out
    assert "NAME (String) = Brazil" not in out
    # the queryables are declared as parameters, so GDAL sends the equality to the server
    log = (settings.data_dir / "logs" / "web.log").read_text(errors="replace")
    assert "CONTINENT=Europe" in log


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) not installed")
def test_ogrinfo_summary_counts_from_one_page(features_url, settings, database):
    """``ogrinfo -so`` takes the feature count from the first page's numberMatched instead
    of reading the whole collection page by page."""
    log = settings.data_dir / "logs" / "web.log"
    before = len(log.read_text(errors="replace").splitlines())
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{features_url}/collections/{PLACES}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert f"Feature Count: {table_count(database, PLACES)}" in out
    requests_made = log.read_text(errors="replace").splitlines()[before:]
    pages = [line for line in requests_made if f"/collections/{PLACES}/items" in line]
    assert len(pages) <= 2, pages


# Debian's python3-qgis installs QGIS 3.22's bindings for the system interpreter only.
QGIS_PYTHON = "/usr/bin/python3"
QGIS_CLIENT = Path(__file__).with_name("qgis_client.py")


@pytest.fixture(scope="module")
def qgis_python() -> str:
    try:
        subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        pytest.skip(f"QGIS bindings not importable by {QGIS_PYTHON} (apt-get install python3-qgis)")
    return QGIS_PYTHON


@pytest.mark.parametrize(
    ("collection", "table", "key", "box"),
    [
        ("clcplus-backbone-polygons", "clcplus_backbone_polygons", "-", None),
        ("ne_110m_admin_0_countries", "ne_110m_admin_0_countries", "NAME", (5, 45, 15, 55)),
        (
            "ne_110m_populated_places_simple",
            "ne_110m_populated_places_simple",
            "name",
            (5, 45, 15, 55),
        ),
    ],
)
def test_qgis_loads_the_layer_reads_every_feature_and_filters_an_extent(
    qgis_python, features_url, settings, database, collection, table, key, box
):
    """QGIS 3.22 headless (its OAPIF provider, as "Add WFS / OGC API - Features layer"):
    the layer is valid, reads as many features as the table holds, and an extent request
    (sent as ``bbox``) returns what the server and an SQL count over the table return."""
    if box is None:  # the demo polygons: the middle of their extent
        with engine(database).connect() as conn:
            x1, y1, x2, y2 = conn.execute(
                sa.text(
                    f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    f'(SELECT ST_Extent(ST_Transform(geom, 4326)) AS e FROM "{table}") x'
                )
            ).one()
        dx, dy = (x2 - x1) / 4, (y2 - y1) / 4
        box = (round(x1 + dx, 4), round(y1 + dy, 4), round(x2 - dx, 4), round(y2 - dy, 4))
    run = subprocess.run(
        [qgis_python, str(QGIS_CLIENT), features_url, collection, key, *map(str, box)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["valid"], seen.get("error")
    assert seen["crs"] == "EPSG:4326"
    rows = table_count(database, table)
    assert seen["count"] == seen["feature_count"] == rows
    assert seen["feature_count_first"] == rows  # known before reading: numberMatched
    with engine(database).connect() as conn:
        in_box = conn.execute(
            sa.text(
                f'SELECT count(*) FROM "{table}" WHERE ST_Intersects('
                "ST_Transform(geom, 4326), ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326))"
            ),
            dict(zip(("x1", "y1", "x2", "y2"), box, strict=True)),
        ).scalar_one()
    served = requests.get(
        f"{features_url}/collections/{collection}/items",
        params={"bbox": ",".join(map(str, box)), "limit": 10000},
        timeout=60,
    ).json()
    assert 0 < in_box < rows
    assert seen["extent_count"] == served["numberReturned"] == in_box
    if key != "-":
        names = sorted(str(f["properties"][key]) for f in served["features"])
        assert seen["extent_keys"] == names
    access_log = (settings.data_dir / "logs" / "web.log").read_text(errors="replace")
    assert any(
        f"/collections/{collection}/items?" in line and "bbox=" in line and "QGIS/" in line
        for line in access_log.splitlines()
    ), "QGIS did not send the extent to the server"


def test_owslib_features(features_url):
    from owslib.ogcapi.features import Features

    api = Features(features_url)
    ids = [c["id"] for c in api.collections()["collections"]]
    assert "ne_110m_populated_places_simple" in ids
    queryables = api.collection_queryables("ne_110m_populated_places_simple")
    assert "pop_max" in queryables["properties"]
    page = api.collection_items(
        "ne_110m_populated_places_simple",
        limit=5,
        filter="pop_max > 10000000",
        sortby=("pop_max", "desc"),
    )
    assert page["numberReturned"] == 5
    pops = [f["properties"]["pop_max"] for f in page["features"]]
    assert pops == sorted(pops, reverse=True) and min(pops) > 10_000_000
    item = api.collection_item("ne_110m_populated_places_simple", page["features"][0]["id"])
    assert item["id"] == page["features"][0]["id"]
