"""Real clients against the served collections: GDAL's OAPIF driver and OWSLib."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import sqlalchemy as sa

from landgrid.db import engine

pytestmark = pytest.mark.services


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
def test_ogrinfo_spatial_filter_and_attribute_filter(features_url):
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
