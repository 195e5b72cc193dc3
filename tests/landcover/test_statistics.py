"""``landcover-statistics`` against an independent computation on real CORINE data:
pixel centres of the product grid tested one by one with shapely against the Lausanne
boundary (projected with pyproj), codes read with xarray from the store."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, shape

from landgrid.analysis.source import source
from landgrid.analysis.zonal import Zone, blocks, class_counts
from landgrid.catalog import Catalog, store_path
from landgrid.errors import InvalidParameterValue
from landgrid.raster.store import open_store
from processes.statistics import StatisticsProcessor
from tests.landcover.conftest import CORINE, run
from tests.landcover.test_extract import to_3035


def independent_counts(settings, geom_2056, year):
    to_3035 = Transformer.from_crs("EPSG:2056", "EPSG:3035", always_xy=True)
    polygon = shapely.transform(
        geom_2056, lambda xy: np.column_stack(to_3035.transform(xy[:, 0], xy[:, 1]))
    )
    with open_store(store_path(settings, CORINE)) as ds:
        layer = ds["land_cover"].sel(time=ds.time.dt.year == year).isel(time=0)
        xs, ys = np.meshgrid(layer.x.values, layer.y.values)
        inside = shapely.contains_xy(polygon, xs, ys)
        codes, n = np.unique(layer.values[inside], return_counts=True)
    return {int(c): int(k) for c, k in zip(codes, n, strict=True)}


@pytest.fixture(scope="module")
def result(corine, lausanne, tmp_path_factory):
    inputs = {
        "product": CORINE,
        "year": [2006, 2012],
        "zonesCrs": "EPSG:2056",
        "zones": {"type": "FeatureCollection", "features": [lausanne]},
    }
    return run(StatisticsProcessor, corine, inputs, tmp_path_factory.mktemp("job"))


@pytest.mark.parametrize("year", [2006, 2012])
def test_counts_match_independent_point_in_polygon(result, corine, lausanne, year):
    expected = independent_counts(corine, shape(lausanne["geometry"]), year)
    stats = result["statistics"]["zones"][0]["years"][str(year)]
    got = {c["code"]: c["pixels"] for c in stats["classes"]}
    assert got == expected
    assert len(got) > 5  # a real mix of classes


def test_areas_add_up_and_match_the_boundary(result, lausanne):
    zone = result["statistics"]["zones"][0]
    for stats in zone["years"].values():
        classes = stats["classes"]
        assert sum(c["pixels"] for c in classes) == stats["pixels"]
        assert sum(c["area_m2"] for c in classes) == pytest.approx(stats["area_m2"])
        assert sum(c["share"] for c in classes) == pytest.approx(1.0)
        assert stats["area_m2"] == stats["pixels"] * 100 * 100
        # the rasterised area is the official area (AREA_HA) within 2 %
        assert stats["area_ha"] == pytest.approx(lausanne["properties"]["AREA_HA"], rel=0.02)


def test_csv_has_one_row_per_zone_year_class(result):
    path = result["table"].path
    rows = list(csv.DictReader(path.open()))
    classes = sum(len(y["classes"]) for y in result["statistics"]["zones"][0]["years"].values())
    assert len(rows) == classes
    assert set(rows[0]) == {
        "zone",
        "year",
        "code",
        "label",
        "pixels",
        "area_m2",
        "area_ha",
        "share",
    }


def test_blocks_and_overlapping_zones(corine, lausanne):
    """Blocks of a few rows give the same counts; an overlapping zone counts on its own."""
    geom = shape(lausanne["geometry"])
    half = geom.intersection(box(*geom.bounds[:2], geom.centroid.x, geom.bounds[3]))
    src = source(Catalog(corine), CORINE, [2012])
    zones = [Zone(i, to_3035(g)) for i, g in enumerate((geom, half))]
    done = []
    counts = class_counts(
        src, zones, [2012], lambda d, t: done.append((d, t)), block_pixels=1000, chunk_rows=7
    )
    assert len(done) > 10 and done[-1][0] == done[-1][1]  # progress per block
    whole, west = counts[0].sum(axis=1)
    assert whole == sum(independent_counts(corine, geom, 2012).values())
    assert west == sum(independent_counts(corine, half, 2012).values())
    assert 0.3 < west / whole < 0.7
    assert blocks((0, 100, 0, 10), 50, 7) == [
        (0, 7),
        (7, 14),
        *[(r, r + 7) for r in range(14, 98, 7)],
        (98, 100),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"product": "nope"}, "no raster product 'nope'"),
        ({"year": 1999}, "has no year [1999]"),
        ({"zonesCrs": "EPSG:999999"}, "unknown CRS"),
        (
            {
                "zones": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {"type": "Point", "coordinates": [2538200, 1152400]},
                        }
                    ],
                }
            },
            "no feature has a Polygon",
        ),
        (
            {
                "zones": {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {},
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [
                                    [
                                        [2530000, 1150000],
                                        [2540000, 1160000],
                                        [2540000, 1150000],
                                        [2530000, 1160000],
                                        [2530000, 1150000],
                                    ]
                                ],
                            },
                        }
                    ],
                }
            },
            "Self-intersection",
        ),
    ],
)
def test_bad_inputs_are_client_errors(corine, lausanne, tmp_path, change, message):
    inputs = {
        "product": CORINE,
        "year": 2006,
        "zonesCrs": "EPSG:2056",
        "zones": {"type": "FeatureCollection", "features": [lausanne]},
    } | change
    with pytest.raises(InvalidParameterValue, match=message.replace("[", r"\[")):
        run(StatisticsProcessor, corine, inputs, tmp_path)


def independent_fractions(settings, polygon, year):
    """Covered area of each class in pixels: every pixel as a box, intersected with shapely."""
    with open_store(store_path(settings, CORINE)) as ds:
        layer = ds["land_cover"].sel(time=ds.time.dt.year == year).isel(time=0)
        minx, miny, maxx, maxy = polygon.bounds
        layer = layer.sel(x=slice(minx - 100, maxx + 100), y=slice(maxy + 100, miny - 100))
        xs, ys = np.meshgrid(layer.x.values, layer.y.values)
        codes = layer.values.ravel()
    half = 50.0  # 100 m pixels
    cells = shapely.box(xs.ravel() - half, ys.ravel() - half, xs.ravel() + half, ys.ravel() + half)
    covered = shapely.area(shapely.intersection(cells, polygon)) / (2 * half) ** 2
    return np.bincount(codes, weights=covered, minlength=256)


@pytest.fixture(scope="module")
def lausanne_3035(lausanne):
    return to_3035(shape(lausanne["geometry"]))


@pytest.fixture(scope="module")
def fraction(corine, lausanne_3035, tmp_path_factory):
    feature = {"type": "Feature", "id": "lausanne", "properties": {}, "geometry": None}
    feature["geometry"] = shapely.geometry.mapping(lausanne_3035)
    inputs = {
        "product": CORINE,
        "year": [2006, 2012],
        "method": "fraction",
        "zonesCrs": "EPSG:3035",
        "zones": {"type": "FeatureCollection", "features": [feature]},
    }
    return run(StatisticsProcessor, corine, inputs, tmp_path_factory.mktemp("job"))


@pytest.mark.parametrize("year", [2006, 2012])
def test_fraction_matches_independent_cell_intersections(fraction, corine, lausanne_3035, year):
    expected = independent_fractions(corine, lausanne_3035, year)
    stats = fraction["statistics"]["zones"][0]["years"][str(year)]
    got = np.zeros(256)
    for c in stats["classes"]:
        got[c["code"]] = c["pixels"]
    assert np.abs(got - expected).max() < 1e-4  # pixels, per class
    assert len(stats["classes"]) > 5
    assert fraction["statistics"]["method"] == "fraction"
    assert "fraction of its area" in fraction["statistics"]["rule"]


def test_fraction_areas_add_up_to_the_polygon(fraction, lausanne_3035, result):
    zone = fraction["statistics"]["zones"][0]
    for year, stats in zone["years"].items():
        classes = stats["classes"]
        assert sum(c["area_m2"] for c in classes) == pytest.approx(stats["area_m2"])
        assert sum(c["share"] for c in classes) == pytest.approx(1.0)
        # fractional coverage: the areas add up to the polygon's own area
        assert stats["area_m2"] == pytest.approx(lausanne_3035.area, rel=1e-9)
        # and centre-in is close to it (the boundary pixels in or out, about even)
        centre = result["statistics"]["zones"][0]["years"][year]
        assert centre["area_m2"] == pytest.approx(stats["area_m2"], rel=0.01)


def test_fraction_in_tiles_equals_one_pass(corine, lausanne_3035):
    src = source(Catalog(corine), CORINE, [2006, 2012])
    zones = [Zone("l", lausanne_3035), Zone("w", lausanne_3035.buffer(-500))]
    whole = class_counts(src, zones, [2006, 2012], method="fraction", block_pixels=10**9)
    tiles = []
    tiled = class_counts(
        src,
        zones,
        [2006, 2012],
        lambda d, t: tiles.append(d),
        block_pixels=500,
        chunk_rows=3,
        method="fraction",
    )
    assert len(tiles) > 10
    np.testing.assert_allclose(tiled, whole, atol=1e-6)
