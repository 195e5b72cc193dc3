"""Coverage core on the real CORINE store, checked against independent rasterio reads."""

from __future__ import annotations

import io
import json
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject

from landgrid.coverage import covjson, encode, reader
from landgrid.coverage.plan import ResponseTooLarge, make_plan
from landgrid.coverage.query import parse_query
from landgrid.errors import InvalidParameterValue, NotFound
from landgrid.raster.product import RasterProduct
from landgrid.web import coverage_page as page


def _plan(product: RasterProduct, store: Path, limit: int = 10**8, **params: str):
    query = parse_query({k.replace("_", "-"): [v] for k, v in params.items()})
    return make_plan(product, reader.years(store), query, limit)


def _direct(store: Path, band: int) -> tuple[np.ndarray, rasterio.Affine, object]:
    """The whole layer read by GDAL's netCDF driver: independent of our reader."""
    with rasterio.open(f"netcdf:{store}:land_cover") as src:
        return src.read(band), src.transform, src.crs


def test_whole_layer_is_newest_year_and_equals_direct_read(corine, corine_store):
    plan = _plan(corine, corine_store)
    assert plan.years == (2012,)
    data = reader.read(corine_store, plan)
    direct, transform, _ = _direct(corine_store, 2)
    assert data.shape == (1, corine.height, corine.width)
    assert np.array_equal(data[0], direct)
    assert plan.grid.transform.almost_equals(transform)


@pytest.mark.parametrize("axes", [("X", "Y"), ("E", "N"), ("x", "y")])
def test_native_subset_is_the_covering_window(corine, corine_store, axes):
    x0, x1, y0, y1 = 4040050, 4050020, 2600000, 2610000
    plan = _plan(
        corine, corine_store, subset=f"{axes[0]}({x0}:{x1}),{axes[1]}({y0}:{y1})", datetime="2006"
    )
    data = reader.read(corine_store, plan)
    direct, _, _ = _direct(corine_store, 1)
    c0, c1 = (x0 - 4036000) // 100, -(-(x1 - 4036000) // 100)
    r0, r1 = (2633300 - y1) // 100, -(-(2633300 - y0) // 100)
    assert plan.window == (r0, r1, c0, c1)
    assert np.array_equal(data[0], direct[r0:r1, c0:c1])
    left, bottom, right, top = plan.grid.bounds
    assert left <= x0 < left + 100 and right - 100 < x1 <= right
    assert bottom <= y0 and top >= y1


def _reference(store: Path, band: int, grid) -> np.ndarray:
    direct, transform, crs = _direct(store, band)
    out = np.full((grid.height, grid.width), 255, dtype=np.uint8)
    reproject(
        direct,
        out,
        src_transform=transform,
        src_crs=crs,
        src_nodata=255,
        dst_transform=grid.transform,
        dst_crs=grid.crs.to_wkt(),
        dst_nodata=255,
        resampling=Resampling.nearest,
        tolerance=0,
    )
    return out


@pytest.mark.parametrize(
    "params",
    [
        {"crs": "EPSG:4326"},
        {"crs": "EPSG:2056", "resolution": "100"},
        {"subset": "Lon(6.55:6.75),Lat(46.48:46.6)", "scaleSize": "Lon(256),Lat(256)"},
        {"bbox": "6.5,46.45,6.8,46.65", "crs": "EPSG:3857"},
        {"width": "200"},
        {"scale-factor": "3"},
    ],
)
def test_resampling_matches_rasterio_nearest(corine, corine_store, params):
    plan = _plan(corine, corine_store, **params)
    data = reader.read(corine_store, plan)[0]
    expected = _reference(corine_store, 2, plan.grid)
    agree = np.mean(data == expected)
    assert agree > 0.999, agree  # ties on exact pixel edges may round either way


@pytest.mark.parametrize(
    "params",
    [{"crs": "EPSG:4326"}, {"width": "200"}, {"width": "485", "height": "100", "crs": "EPSG:3857"}],
)
def test_resampling_in_row_blocks_equals_one_block(corine, corine_store, params, monkeypatch):
    plan = _plan(corine, corine_store, datetime="2006/2012", **params)
    assert plan.grid.width * plan.grid.height <= reader.BLOCK
    whole = reader.read(corine_store, plan)  # a single block
    monkeypatch.setattr(reader, "BLOCK", 997)  # a few rows per block, a shorter last block
    assert np.array_equal(reader.read(corine_store, plan), whole)


@pytest.mark.parametrize("params", [{"scale-factor": "3"}, {"crs": "EPSG:4326", "width": "90"}])
def test_sparse_reads_equal_window_reads(corine, corine_store, params, monkeypatch):
    plan = _plan(corine, corine_store, datetime="2006/2012", **params)
    by_window = reader.read(corine_store, plan)  # small product: the covering window
    monkeypatch.setattr(reader, "WINDOW_MIN", 0)  # now the rows x columns needed
    monkeypatch.setattr(reader, "SEGMENT", 37)  # several rectangles per chunk row
    calls = []
    sparse = reader.sparse
    monkeypatch.setattr(reader, "sparse", lambda *a: calls.append(1) or sparse(*a))
    assert np.array_equal(reader.read(corine_store, plan), by_window)
    assert calls


def test_geographic_subset_answers_in_crs84_on_the_exact_box(corine, corine_store):
    plan = _plan(
        corine, corine_store, subset="Lon(6.0:6.7),Lat(46.5:46.6)", scaleSize="Lon(70),Lat(10)"
    )
    assert plan.grid.crs.to_string() == "OGC:CRS84"
    assert (plan.grid.width, plan.grid.height) == (70, 10)
    assert np.allclose(plan.grid.bounds, (6.0, 46.5, 6.7, 46.6))
    data = reader.read(corine_store, plan)
    assert (data[0, :, 0] == 255).all()  # 6.0 E is west of the product: nodata


@pytest.mark.parametrize(
    ("params", "years"),
    [
        ({"datetime": "2006-06-01T00:00:00Z"}, (2006,)),
        ({"datetime": "2006/2012"}, (2006, 2012)),
        ({"datetime": "../2010-01-01"}, (2006,)),
        ({"datetime": "0000-01-01T00:00:00Z/.."}, (2006, 2012)),
        ({"subset": 'time("2012-01-01")'}, (2012,)),
        ({"subset": 'time("2005-01-01":"2013-01-01")'}, (2006, 2012)),
    ],
)
def test_time_selection(corine, corine_store, params, years):
    assert _plan(corine, corine_store, **params).years == years


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"subset": "Z(1:2)"}, "subset"),
        ({"subset": "X(4050000:4040000)"}, "subset"),
        ({"subset": "X(a:b)"}, "subset"),
        ({"subset": "X 1:2"}, "subset"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "7,47,6,46"}, "bbox"),
        ({"bbox": "6.5,46.5,6.7,46.6", "bbox-crs": "EPSG:999999"}, "bbox-crs"),
        ({"crs": "not-a-crs"}, "crs"),
        ({"properties": "height"}, "properties"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "2012/2006"}, "datetime"),
        ({"width": "0"}, "width"),
        ({"width": "abc"}, "width"),
        ({"height": "99999999"}, "height"),
        ({"scale-size": "Q(10)"}, "scale-size"),
        ({"scale-factor": "-1"}, "scale-factor"),
        ({"resolution": "0"}, "resolution"),
    ],
)
def test_bad_input_names_the_parameter(corine, corine_store, params, names):
    with pytest.raises(InvalidParameterValue) as e:
        _plan(corine, corine_store, **params)
    assert e.value.message.startswith(f"{names}:"), e.value.message
    assert e.value.status == 400


@pytest.mark.parametrize(
    "params",
    [
        {"subset": "X(0:1000)"},
        {"bbox": "100,10,101,11"},
        {"bbox": "170,46,-170,47"},  # crosses the antimeridian, far from Lausanne
        {"subset": "Lon(170:-170)"},
        {"datetime": "1990"},
        {"subset": 'time("1990-01-01":"1995-01-01")'},
    ],
)
def test_a_subset_wholly_outside_is_404(corine, corine_store, params):
    """/req/subsetting-spatial/out-of-bounds, /req/subsetting-temporal/out-of-bounds."""
    with pytest.raises(NotFound) as e:
        _plan(corine, corine_store, **params)
    assert e.value.status == 404


def test_size_limit_is_checked_before_reading(corine, corine_store):
    with pytest.raises(ResponseTooLarge) as e:
        _plan(corine, corine_store, limit=10_000, datetime="2006/2012")
    text = e.value.message
    assert "485 x 344" in text and "333680" in text and "10000" in text and "extract" in text
    with pytest.raises(ResponseTooLarge):
        _plan(corine, corine_store, limit=10**6, width="100000", height="100000")


@pytest.mark.parametrize("nodata", [255, 100, 48, 5, 0])
@pytest.mark.parametrize("block", [1, 7, covjson.BLOCK])
def test_coveragejson_values_in_chunks_are_one_json_array(nodata, block):
    rng = np.random.default_rng(nodata)
    data = rng.integers(0, 256, (2, 30, 41), dtype=np.uint8)
    data[rng.random(data.shape) < 0.3] = nodata
    data[0, 0, :3] = data[-1, -1, -2:] = nodata  # runs of nodata, first and last values
    chunks = list(covjson.values_chunks(data, nodata, block))
    assert len(chunks) == 2 * -(-data.size // block) + 1  # [, values, (",", values)..., ]
    expected = [None if v == nodata else v for v in data.ravel().tolist()]
    assert json.loads(b"".join(chunks)) == expected


def test_coveragejson_keeps_integer_codes_and_legend(corine, corine_store):
    plan = _plan(corine, corine_store, datetime="2006/2012", subset="X(4040000:4045000)")
    data = reader.read(corine_store, plan)
    doc = json.loads(b"".join(covjson.coverage(data, plan)))
    rng = doc["ranges"]["land_cover"]
    assert rng["shape"] == list(data.shape) and rng["dataType"] == "integer"
    expected = [None if v == 255 else v for v in data.ravel().tolist()]
    assert rng["values"] == expected
    assert all(isinstance(v, int) for v in rng["values"] if v is not None)
    encoding = doc["parameters"]["land_cover"]["categoryEncoding"]
    assert sorted(encoding.values()) == [c.code for c in corine.legend if not c.nodata]
    assert doc["domain"]["axes"]["t"]["values"] == ["2006-01-01T00:00:00Z", "2012-01-01T00:00:00Z"]


def test_geotiff_is_a_cog_with_colours(corine, corine_store):
    plan = _plan(corine, corine_store)
    data = reader.read(corine_store, plan)
    with rasterio.MemoryFile(encode.geotiff(data, plan)) as mem, mem.open() as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.profile["tiled"] and ds.compression.name.lower() == "deflate"
        assert ds.nodata == 255 and ds.crs.to_epsg() == 3035
        assert ds.colormap(1)[23] == (128, 255, 0, 255)  # Broad-leaved forest #80FF00
        assert np.array_equal(ds.read(1), data[0])
        assert ds.transform.almost_equals(plan.grid.transform)


def test_png_is_paletted(corine, corine_store):
    plan = _plan(corine, corine_store, width="120")
    data = reader.read(corine_store, plan)
    body = encode.png(data, plan)
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    with rasterio.MemoryFile(io.BytesIO(body).read()) as mem, mem.open() as ds:
        assert ds.width == 120 and np.array_equal(ds.read(1), data[0])
        assert ds.colormap(1)[1][:3] == (230, 0, 77)


def test_netcdf_keeps_cf_legend(corine, corine_store, tmp_path):
    plan = _plan(corine, corine_store, datetime="2006/2012", subset="Y(2610000:2620000)")
    data = reader.read(corine_store, plan)
    path = tmp_path / "out.nc"
    path.write_bytes(encode.netcdf(data, plan))
    with netCDF4.Dataset(path) as ds:
        var = ds["land_cover"]
        assert var.grid_mapping == "crs" and "EPSG" in ds["crs"].crs_wkt
        assert list(var.flag_values) == [c.code for c in corine.legend if not c.nodata]
        assert var.flag_meanings.split()[0] == "continuous_urban_fabric"
        assert np.array_equal(var[:].filled(255), data)
        assert list(ds["time"][:]) == [13149, 15340]
    with rasterio.open(f"netcdf:{path}:land_cover") as src:
        assert src.transform.almost_equals(plan.grid.transform)


def test_query_forms_of_real_clients():
    gdal = parse_query(
        {"subset": ["Lon(6.1:6.2),Lat(46.1:46.2)"], "scaleSize": ["Lon(256),Lat(256)"]}
    )
    assert [s.axis for s in gdal.subsets] == ["Lon", "Lat"]
    assert gdal.scale_size == (("Lon", 256), ("Lat", 256))
    owslib = parse_query(
        {
            "subset": ["X(1:2),Y(3:4)"],
            "scale-axes": ["X(2),Y(2)"],
            "scale-factor": ["2"],
            "properties": ["land_cover"],
        }
    )
    assert owslib.scale_axes == (("X", 2.0), ("Y", 2.0)) and owslib.scale_factor == 2
    several = parse_query({"subset": ["X(1:2)", 'time("2018-01-01T00:00:00Z")']})
    assert several.subsets[1].low == "2018-01-01T00:00:00Z" and several.subsets[1].point
    assert parse_query({"resolution": ["X(20),Y(30)"]}).resolution == (("X", 20.0), ("Y", 30.0))


def test_identity_transform_is_north_up(corine):
    assert corine.transform == Affine(100, 0, 4036000, 0, -100, 2633300)


def test_preview_parameters_name_one_year_each_and_bound_the_width(corine, corine_store):
    args = {"subset": ['X(4040000:4045000),time("2005-01-01":"2013-01-01")'], "f": ["html"]}
    plan = make_plan(corine, reader.years(corine_store), parse_query(args), 10**12)
    assert plan.years == (2006, 2012)
    preview = page.preview_args(args, plan)
    assert preview == {"subset": ["X(4040000:4045000)"], "width": ["50"]}
    html = page.render("", corine, plan, args, preview, 10**8)
    for year in plan.years:  # each preview plans alone
        one = make_plan(
            corine,
            reader.years(corine_store),
            parse_query({**preview, "datetime": [str(year)]}),
            10**8,
        )
        assert one.years == (year,) and one.grid.width == 50
        assert f"datetime={year}&amp;f=png" in html
    assert all(c.label in html for c in corine.legend)
    sized = page.preview_args({"width": ["4000"], "datetime": ["2006"]}, plan)
    assert sized == {"width": ["4000"]}  # the asked size is kept
