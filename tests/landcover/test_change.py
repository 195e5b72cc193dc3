"""``change-detection`` on real CORINE 2006 -> 2012 inside Lausanne, against pairs of codes
counted independently (xarray read, shapely point-in-polygon)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import rasterio
import shapely
from shapely.geometry import shape

from landgrid.catalog import store_path
from landgrid.errors import InvalidParameterValue
from landgrid.raster.store import open_store
from processes.change import ChangeProcessor
from tests.landcover.conftest import CORINE, run
from tests.landcover.test_extract import to_3035


@pytest.fixture(scope="module")
def result(corine, lausanne, tmp_path_factory):
    inputs = {
        "product": CORINE,
        "yearA": 2006,
        "yearB": 2012,
        "aoi": lausanne["geometry"],
        "aoiCrs": "EPSG:2056",
    }
    return run(ChangeProcessor, corine, inputs, tmp_path_factory.mktemp("change"))


def independent_pairs(settings, lausanne):
    polygon = to_3035(shape(lausanne["geometry"]))
    with open_store(store_path(settings, CORINE)) as ds:
        a, b = ds["land_cover"].values
        xs, ys = np.meshgrid(ds.x.values, ds.y.values)
    inside = shapely.contains_xy(polygon, xs, ys) & (a != 255) & (b != 255)
    return Counter(zip(a[inside].tolist(), b[inside].tolist(), strict=True))


def test_matrix_matches_independent_pairs(result, corine, lausanne):
    body = result["transitions"]
    got = {(t["from"], t["to"]): t["pixels"] for t in body["transitions"]}
    assert got == dict(independent_pairs(corine, lausanne))
    assert any(f != t for f, t in got)  # CORINE 2006 -> 2012 does change in Lausanne


def test_net_change_adds_up(result):
    body = result["transitions"]
    total_a = sum(n["area_a_m2"] for n in body["net_change"])
    total_b = sum(n["area_b_m2"] for n in body["net_change"])
    assert total_a == total_b
    assert sum(n["net_m2"] for n in body["net_change"]) == 0


def test_change_raster_and_its_legend(result):
    body = result["transitions"]
    with rasterio.open(result["change"].path) as tif:
        codes = tif.read(1)
        assert tif.colormap(1)[0][:3] == (217, 217, 217)
    counts = Counter(codes.ravel().tolist())
    changed = [t for t in body["transitions"] if t["from"] != t["to"]]
    for t in changed:
        assert counts[t["change_code"]] == t["pixels"]
    same = sum(t["pixels"] for t in body["transitions"] if t["from"] == t["to"])
    assert counts[0] == same
    labels = {c["code"]: c["label"] for c in body["change_legend"]}
    first = changed and min(changed, key=lambda t: t["change_code"])
    assert labels[first["change_code"]] == f"{first['from_label']} -> {first['to_label']}"


def test_same_year_is_refused(corine, lausanne, tmp_path):
    inputs = {
        "product": CORINE,
        "yearA": 2006,
        "yearB": 2006,
        "aoi": lausanne["geometry"],
        "aoiCrs": "EPSG:2056",
    }
    with pytest.raises(InvalidParameterValue, match="must differ"):
        run(ChangeProcessor, corine, inputs, tmp_path)
