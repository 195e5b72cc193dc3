"""``extract`` on real CORINE data: a native extract is the stored pixels inside the
Lausanne boundary (checked with xarray + shapely), a reprojected one agrees with the store
at its pixel centres, netCDF and COG hold the same pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import shapely
import xarray as xr
from pyproj import Transformer
from shapely.geometry import shape

from landgrid.catalog import store_path
from landgrid.errors import InvalidParameterValue
from landgrid.raster.store import open_store
from processes.extract import ExtractProcessor
from tests.landcover.conftest import CORINE, run


def to_3035(geom):
    t = Transformer.from_crs("EPSG:2056", "EPSG:3035", always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def inputs(lausanne, **more):
    return {
        "product": CORINE,
        "year": [2006, 2012],
        "aoi": lausanne["geometry"],
        "aoiCrs": "EPSG:2056",
    } | more


def test_native_extract_is_the_masked_direct_read(corine, lausanne, tmp_path):
    out = run(ExtractProcessor, corine, inputs(lausanne), tmp_path)
    assert out["coverage"].media_type.startswith("image/tiff")
    polygon = to_3035(shape(lausanne["geometry"]))
    with rasterio.open(out["coverage"].path) as tif:
        assert tif.crs.to_epsg() == 3035
        assert tif.profile["tiled"] and tif.count == 2
        got = tif.read()
        xs = tif.transform.c + (np.arange(tif.width) + 0.5) * tif.transform.a
        ys = tif.transform.f + (np.arange(tif.height) + 0.5) * tif.transform.e
    with open_store(store_path(corine, CORINE)) as ds:
        direct = ds["land_cover"].sel(x=xs, y=ys).values  # (time, y, x) direct read
    inside = shapely.contains_xy(polygon, *np.meshgrid(xs, ys))
    expected = np.where(inside, direct, 255)
    assert np.array_equal(got, expected)
    assert inside.sum() > 3000
    meta = json.loads(out["metadata"].path.read_text())
    assert meta["pixels_inside"] == inside.sum()
    assert {c["code"] for c in meta["legend"]} >= {1, 41}


def test_reprojected_extract_agrees_with_the_store(corine, lausanne, tmp_path):
    out = run(ExtractProcessor, corine, inputs(lausanne, outputCrs="EPSG:2056"), tmp_path)
    with rasterio.open(out["coverage"].path) as tif:
        assert tif.crs.to_epsg() == 2056
        got = tif.read(2)
        xs = tif.transform.c + (np.arange(tif.width) + 0.5) * tif.transform.a
        ys = tif.transform.f + (np.arange(tif.height) + 0.5) * tif.transform.e
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(shape(lausanne["geometry"]), gx, gy)
    t = Transformer.from_crs("EPSG:2056", "EPSG:3035", always_xy=True)
    x3035, y3035 = t.transform(gx[inside], gy[inside])
    with open_store(store_path(corine, CORINE)) as ds:
        layer = ds["land_cover"].isel(time=1)
        expected = layer.sel(x=xr.DataArray(x3035), y=xr.DataArray(y3035), method="nearest").values
    assert (got[inside] == expected).mean() > 0.999  # centre-on-edge ties aside
    assert (got[~inside] == 255).all()


def test_netcdf_holds_the_same_pixels(corine, lausanne, tmp_path):
    tif = run(ExtractProcessor, corine, inputs(lausanne), tmp_path / "a")["coverage"].path
    nc = run(ExtractProcessor, corine, inputs(lausanne, format="netcdf"), tmp_path / "b")
    assert nc["coverage"].media_type == "application/x-netcdf"
    with xr.open_dataset(nc["coverage"].path, mask_and_scale=False) as ds, rasterio.open(tif) as t:
        assert np.array_equal(ds["land_cover"].values, t.read())
        assert list(ds.time.dt.year.values) == [2006, 2012]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aoi": {"bbox": [0, 0, 0.1, 0.1]}, "aoiCrs": None}, "outside product"),
        ({"aoi": {"bbox": [5, 45, 8, 48]}, "aoiCrs": None}, "over the limit"),
        ({"aoiCrs": "EPSG:123456"}, "unknown CRS"),
        ({"outputCrs": "nonsense"}, "unknown CRS"),
        ({"aoi": {"type": "Polygon", "coordinates": []}}, "empty"),
        ({"year": 2018}, "has no year"),
        (
            {
                "aoi": {
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
                }
            },
            "Self-intersection",
        ),
        ({"aoi": {"bbox": [2538000, 1152000, 2538000, 1153000]}}, "minx < maxx"),
    ],
)
def test_bad_inputs(corine, lausanne, tmp_path, change, message):
    with pytest.raises(InvalidParameterValue, match=message):
        run(ExtractProcessor, corine, inputs(lausanne, **change), tmp_path)
