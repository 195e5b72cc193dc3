"""``vectorize`` on real CORINE data into the suite's PostGIS: the polygons rasterise back
to the clipped source pixels, the GeoPackage holds the same polygons, and the collection is
registered as a vector product."""

from __future__ import annotations

import fiona
import numpy as np
import pytest
import sqlalchemy as sa
from rasterio.features import rasterize
from shapely import wkb

from landgrid.analysis.aoi import aoi_in_product
from landgrid.analysis.clip import clip
from landgrid.analysis.source import source
from landgrid.catalog import Catalog, vector_products_dirs
from landgrid.db import engine
from landgrid.features.product import load_vector_products
from processes.vectorize import VectorizeProcessor, published_names
from tests.landcover.conftest import CORINE, bound, run

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def corine_db(corine, database):
    return corine.model_copy(update={"database_url": database})


def test_polygons_rasterise_back_to_the_pixels(corine_db, lausanne, tmp_path):
    inputs = {"product": CORINE, "year": 2012, "aoi": lausanne["geometry"], "aoiCrs": "EPSG:2056"}
    out = run(VectorizeProcessor, corine_db, inputs, tmp_path / "job-1")
    table = out["collection"]["table"]
    with engine(corine_db.db_url()).connect() as conn:
        rows = conn.execute(sa.text(f'SELECT code, ST_AsBinary(geom) FROM "{table}"')).all()
    src = source(Catalog(corine_db), CORINE, [2012])
    aoi = aoi_in_product(lausanne["geometry"], "EPSG:2056", src.product, 1e4)
    cut = clip(src, [2012], aoi)
    g = cut.plan.grid
    burnt = rasterize(
        ((wkb.loads(bytes(geom)), code) for code, geom in rows),
        out_shape=(g.height, g.width),
        transform=g.transform,
        fill=255,
        dtype="uint8",
    )
    assert np.array_equal(burnt, cut.data[0])
    assert out["summary"]["polygons"] == len(rows)
    with fiona.open(out["geopackage"].path) as layer:
        assert len(layer) == len(rows)
        assert layer.crs.to_epsg() == 3035
    products = load_vector_products(vector_products_dirs(corine_db))
    product = products[out["collection"]["id"]]
    assert product.table == table
    assert out["collection"]["rel"] == "collection"
    assert out["collection"]["href"].endswith(f"/collections/{product.id}")


def test_simplified_polygons_have_fewer_vertices(corine_db, lausanne, tmp_path):
    inputs = {"product": CORINE, "year": 2006, "aoi": lausanne["geometry"], "aoiCrs": "EPSG:2056"}
    exact = run(VectorizeProcessor, corine_db, inputs, tmp_path / "job-2")
    simple = run(VectorizeProcessor, corine_db, inputs | {"tolerance": 150}, tmp_path / "job-3")
    with fiona.open(exact["geopackage"].path) as a, fiona.open(simple["geopackage"].path) as b:
        count = lambda layer: sum(  # noqa: E731
            len(ring) for f in layer for poly in f.geometry["coordinates"] for ring in poly
        )
        assert count(b) < count(a)


def test_a_job_stopped_after_writing_leaves_nothing_published(corine_db, lausanne, tmp_path):
    """Dismissed while publishing (the progress report raises): table and definition go."""

    class Dismissed(Exception):
        pass

    def reporter(progress, message):
        if message == "published":
            raise Dismissed

    processor = bound(VectorizeProcessor, corine_db, tmp_path / "job-4", report=reporter)
    inputs = {"product": CORINE, "year": 2012, "aoi": lausanne["geometry"], "aoiCrs": "EPSG:2056"}
    with pytest.raises(Dismissed):
        processor.run(inputs)
    table, collection_id = published_names("job-4", CORINE, 2012)
    with engine(corine_db.db_url()).connect() as conn:
        assert conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": table}).scalar() is None
    assert collection_id not in load_vector_products(vector_products_dirs(corine_db))
