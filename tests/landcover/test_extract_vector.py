"""``extract`` of a vector product: the CORINE 2012 polygons of the Lausanne area, loaded
into the suite's PostGIS as a collection, cut to the Lausanne boundary and written as a
GeoPackage; checked against shapely's own intersection of every source polygon."""

from __future__ import annotations

import fiona
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely import wkb
from shapely.geometry import box, shape

from landgrid.analysis.polygons import load_landcover_polygons
from landgrid.analysis.source import source
from landgrid.analysis.vectorize import polygons
from landgrid.catalog import Catalog
from landgrid.db import engine
from landgrid.errors import InvalidParameterValue
from landgrid.features.product import VectorProduct, write_vector_product
from processes.extract import ExtractProcessor
from tests.landcover.conftest import CORINE, run
from tests.landcover.test_extract import to_3035

pytestmark = pytest.mark.services

PRODUCT = "clc-lausanne-polygons"
DATED = "clc-lausanne-polygons-dated"  # the same table with a time column


@pytest.fixture(scope="module")
def vector_db(corine, database):
    settings = corine.model_copy(update={"database_url": database})
    src = source(Catalog(settings), CORINE, [2012])
    items = polygons(src, 2012, box(*src.product.bounds))
    load_landcover_polygons(engine(settings.db_url()), "clc_lausanne_2012", 3035, items)
    to_lonlat = Transformer.from_crs(3035, "OGC:CRS84", always_xy=True)
    bbox = list(to_lonlat.transform_bounds(*src.product.bounds))
    product = VectorProduct(
        id=PRODUCT,
        title="CORINE 2012 polygons, Lausanne",
        table="clc_lausanne_2012",
        storage_crs="EPSG:3035",
        bbox=bbox,
    )
    write_vector_product(product, settings.data_dir / "vector-products")
    with engine(settings.db_url()).begin() as conn:
        conn.execute(
            sa.text("ALTER TABLE clc_lausanne_2012 ADD COLUMN observed date DEFAULT '2012-06-30'")
        )
    dated = product.model_copy(update={"id": DATED, "time_column": "observed"})
    write_vector_product(dated, settings.data_dir / "vector-products")
    return settings


def source_polygons(settings):
    with engine(settings.db_url()).connect() as conn:
        rows = conn.execute(sa.text("SELECT code, ST_AsBinary(geom) FROM clc_lausanne_2012"))
        return [(code, wkb.loads(bytes(geom))) for code, geom in rows]


def read_gpkg(path):
    with fiona.open(path) as layer:
        crs = layer.crs
        features = [(f.properties["code"], shape(f.geometry)) for f in layer]
    return crs, features


def test_features_cut_to_the_boundary(vector_db, lausanne, tmp_path):
    boundary = to_3035(shape(lausanne["geometry"]))
    aoi = shapely.geometry.mapping(boundary)
    inputs = {"product": PRODUCT, "aoi": aoi, "aoiCrs": "EPSG:3035"}
    out = run(ExtractProcessor, vector_db, inputs, tmp_path / "a")
    assert out["features"].media_type == "application/geopackage+sqlite3"
    crs, features = read_gpkg(out["features"].path)
    assert crs.to_epsg() == 3035  # the storage CRS by default
    expected = []
    for code, polygon in source_polygons(vector_db):
        cut = polygon.intersection(boundary)
        if cut.area > 0:
            expected.append((code, cut))
    assert len(features) == len(expected) > 20
    assert sorted(c for c, _ in features) == sorted(c for c, _ in expected)
    got_area = sum(g.area for _, g in features)
    assert got_area == pytest.approx(sum(g.area for _, g in expected), rel=1e-9)
    assert 0.95 * boundary.area < got_area <= boundary.area  # nodata is not polygonised
    assert all(g.geom_type == "MultiPolygon" for _, g in features)
    assert shapely.union_all([g for _, g in features]).buffer(-0.01).within(boundary)
    meta = out["metadata"].path.read_text()
    assert f'"features": {len(features)}' in meta


def test_features_in_another_crs(vector_db, lausanne, tmp_path):
    inputs = {
        "product": PRODUCT,
        "aoi": lausanne["geometry"],
        "aoiCrs": "EPSG:2056",
        "outputCrs": "EPSG:2056",
    }
    out = run(ExtractProcessor, vector_db, inputs, tmp_path / "b")
    crs, features = read_gpkg(out["features"].path)
    assert crs.to_epsg() == 2056
    lausanne_2056 = shape(lausanne["geometry"])
    total = shapely.union_all([g for _, g in features])
    assert total.within(lausanne_2056.buffer(1))  # in the AOI's own CRS, inside it
    assert 0.95 * lausanne_2056.area < total.area <= lausanne_2056.area * 1.0001
    x, y = np.array(total.centroid.coords[0])
    assert 2.5e6 < x < 2.6e6 and 1.1e6 < y < 1.2e6


def test_year_selects_by_the_time_column(vector_db, lausanne, tmp_path):
    inputs = {"product": DATED, "aoi": lausanne["geometry"], "aoiCrs": "EPSG:2056"}
    every = run(ExtractProcessor, vector_db, inputs, tmp_path / "all")
    of_2012 = run(ExtractProcessor, vector_db, inputs | {"year": 2012}, tmp_path / "2012")
    of_2006 = run(ExtractProcessor, vector_db, inputs | {"year": [2006]}, tmp_path / "2006")
    counts = [len(read_gpkg(o["features"].path)[1]) for o in (every, of_2012, of_2006)]
    assert counts[0] == counts[1] > 0 and counts[2] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "cog"}, "is a vector product"),
        ({"year": 2012}, "has no time to select by"),
        ({"aoi": {"bbox": [0, 0, 0.1, 0.1]}, "aoiCrs": None}, "outside product"),
        ({"product": CORINE, "format": "geopackage", "year": 2012}, "is for vector products"),
        ({"product": CORINE}, "required for raster products"),
    ],
)
def test_bad_inputs(vector_db, lausanne, tmp_path, change, message):
    inputs = {"product": PRODUCT, "aoi": lausanne["geometry"], "aoiCrs": "EPSG:2056"} | change
    inputs = {k: v for k, v in inputs.items() if v is not None}
    with pytest.raises(InvalidParameterValue, match=message):
        run(ExtractProcessor, vector_db, inputs, tmp_path)
