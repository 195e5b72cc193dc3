"""Vector tiles and vector maps from the real PostGIS of the stack: MVT made by ST_AsMVT with
the product's attributes, the same CQL2 filter and datetime as ``/items``, geometry
simplified for the zoom; maps of features drawn in their legend's colours."""

from __future__ import annotations

import mapbox_vector_tile
import morecantile
import numpy as np
import pytest
import rasterio
import requests
import sqlalchemy as sa

from landgrid.db import engine
from landgrid.features.product import VectorProduct, write_vector_product
from tests.features.conftest import serve_registered
from tests.schemas import validate

pytestmark = pytest.mark.services
COUNTRIES, PLACES = "ne_110m_admin_0_countries", "ne_110m_populated_places_simple"
POLYGONS, RASTER = "clcplus-backbone-polygons", "clcplus-backbone"
MVT = "application/vnd.mapbox-vector-tile"
WEB = morecantile.tms.get("WebMercatorQuad")
TILES_API = "schemas.opengis.net/ogcapi/tiles/part1/1.0/openapi/"


def tile(base: str, collection: str, z: int, row: int, col: int, **params) -> dict:
    r = requests.get(
        f"{base}/collections/{collection}/tiles/WebMercatorQuad/{z}/{row}/{col}",
        params=params,
        timeout=60,
    )
    assert r.status_code in (200, 204), r.text
    assert r.headers["Content-Type"] == MVT
    layers = mapbox_vector_tile.decode(r.content) if r.content else {}
    return layers.get(collection, {"features": []})


def items(base: str, collection: str, **params) -> list[dict]:
    r = requests.get(
        f"{base}/collections/{collection}/items", params={"limit": 10000, **params}, timeout=60
    )
    assert r.status_code == 200, r.text
    return r.json()["features"]


def bbox_of(z: int, row: int, col: int) -> str:
    b = WEB.bounds(morecantile.Tile(col, row, z))
    return f"{b.left},{b.bottom},{b.right},{b.top}"


def test_vector_tileset_describes_the_layer(vectors_url):
    doc = requests.get(f"{vectors_url}/collections/{COUNTRIES}/tiles/WebMercatorQuad").json()
    validate(
        doc, TILES_API + "responses/tiles-core/rTileSet.yaml#/content/application~1json/schema"
    )
    assert doc["dataType"] == "vector"
    assert [link["type"] for link in doc["links"] if link["rel"] == "item"] == [MVT]
    layer = doc["layers"][0]
    assert layer["id"] == COUNTRIES and layer["geometryDimension"] == 2
    assert {"NAME", "CONTINENT", "POP_EST"} <= set(layer["propertiesSchema"]["properties"])


def test_tile_holds_the_features_of_its_area_with_their_attributes(vectors_url):
    """Every feature ``/items`` finds in the tile's box is in the tile, with its id and
    properties; the tile holds nothing else than features near the box (its buffer)."""
    z, row, col = 3, 2, 4  # Europe
    got = tile(vectors_url, COUNTRIES, z, row, col)["features"]
    by_id = {f["id"]: f for f in got}
    inside = items(vectors_url, COUNTRIES, bbox=bbox_of(z, row, col))
    assert inside and {f["id"] for f in inside} <= set(by_id)
    germany = next(f for f in got if f["properties"]["NAME"] == "Germany")
    expected = next(f for f in inside if f["properties"]["NAME"] == "Germany")["properties"]
    for key in ("CONTINENT", "POP_EST", "ADM0_A3"):
        assert germany["properties"][key] == expected[key]
    assert germany["geometry"]["type"] in ("Polygon", "MultiPolygon")
    b = WEB.bounds(morecantile.Tile(col, row, z))
    margin = 64 / 4096 * (b.right - b.left) + 1e-6
    wider = f"{b.left - margin},{b.bottom - margin},{b.right + margin},{b.top + margin}"
    assert set(by_id) <= {f["id"] for f in items(vectors_url, COUNTRIES, bbox=wider)}


def test_cql2_filter_selects_the_tile_features(vectors_url):
    z, row, col = 2, 1, 2
    every = tile(vectors_url, COUNTRIES, z, row, col)["features"]
    europe = tile(vectors_url, COUNTRIES, z, row, col, filter="CONTINENT='Europe'")["features"]
    assert 0 < len(europe) < len(every)
    assert {f["properties"]["CONTINENT"] for f in europe} == {"Europe"}
    expected = items(vectors_url, COUNTRIES, filter="CONTINENT='Europe'", bbox=bbox_of(z, row, col))
    assert {f["id"] for f in expected} <= {f["id"] for f in europe}


def test_datetime_selects_like_items(vectors_url):
    """Places with a validity period: the zoom-0 tile (the whole Web Mercator square) holds
    exactly the places ``/items`` answers for the same ``datetime``, within its latitudes."""
    when = "2000-01-01T00:00:00Z"
    got = {
        f["properties"]["name"]
        for f in tile(vectors_url, PLACES, 0, 0, 0, datetime=when)["features"]
    }
    every = {f["properties"]["name"] for f in tile(vectors_url, PLACES, 0, 0, 0)["features"]}
    expected = {
        f["properties"]["name"]
        for f in items(vectors_url, PLACES, datetime=when)
        if abs(f["geometry"]["coordinates"][1]) < 85.05
    }
    assert got == expected and got < every


@pytest.fixture(scope="module")
def dense_circle(stack, vectors_url) -> str:
    """A 100 km circle of 100,000 vertices (EPSG:3035), registered as a collection."""
    with engine(stack.settings.db_url()).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS dense_circle AS SELECT 1 AS id, ST_Buffer(ST_Transform("
            "ST_SetSRID(ST_MakePoint(8, 47), 4326), 3035), 100000, 25000)"
            "::geometry(Polygon, 3035) AS geom"
        )
    write_vector_product(
        VectorProduct(id="dense-circle", title="dense circle", table="dense_circle",
                      storage_crs="EPSG:3035", bbox=[6.6, 46.1, 9.4, 47.9]),
        stack.settings.data_dir / "vector-products",
    )  # fmt: skip
    return serve_registered(stack, "dense-circle")


def test_geometry_is_simplified_for_the_zoom(dense_circle, stack):
    """At zoom 6 (tile grid unit ~150 m) the circle keeps a few hundred vertices where the
    same tile without our simplification (PostGIS's grid snapping only) keeps thousands;
    its outline stays within a grid unit (area within 1 %)."""
    t = WEB.tile(8, 47, 6)
    got = tile(dense_circle, "dense-circle", 6, t.y, t.x)["features"]
    (ring,) = got[0]["geometry"]["coordinates"]
    with engine(stack.settings.db_url()).connect() as conn:
        snapped, area = conn.execute(
            sa.text(
                "SELECT ST_NPoints(g), ST_Area(g) FROM (SELECT ST_AsMVTGeom(ST_Transform(geom,"
                " 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS g FROM dense_circle) s"
            ),
            {"z": 6, "x": t.x, "y": t.y},
        ).one()
    xy = np.array(ring, dtype=float)
    ours = 0.5 * abs(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1]))
    assert len(ring) * 5 < snapped and len(ring) > 50
    assert ours == pytest.approx(area, rel=0.01)


def test_empty_tile_is_204_and_bad_tiles_are_ogc_exceptions(vectors_url):
    base = f"{vectors_url}/collections/{COUNTRIES}/tiles/WebMercatorQuad"
    empty = requests.get(f"{base}/3/3/0", params={"filter": "NAME='Germany'"}, timeout=30)
    assert empty.status_code == 204 and not empty.content
    for url, status in (
        (f"{base}/99/0/0", 404),
        (f"{base}/x/0/0", 400),
        (f"{base}/0/0/0?filter=NOPE%3D1", 400),
        (f"{base}/0/0/0?datetime=notatime", 400),
        (f"{vectors_url}/collections/{COUNTRIES}/tiles/NoSuchTMS/0/0/0", 404),
    ):
        r = requests.get(url, timeout=30)
        assert r.status_code == status, (url, r.text)
        assert r.json()["status"] == status


def test_vector_map_draws_features_in_their_legend_colours(vectors_url, database):
    """The polygons of the demo raster's newest year, drawn by their ``code`` in the
    legend's colours, are the raster's map of that year on the same grid."""
    with engine(database).connect() as conn:
        box = conn.execute(
            sa.text(
                "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM"
                " (SELECT ST_Extent(geom) AS e FROM clcplus_backbone_polygons) s"
            )
        ).scalar_one()
    area = {"bbox": box, "bbox-crs": "EPSG:3035", "crs": "EPSG:3035", "width": 250}
    pictures = {}
    for collection, extra in ((POLYGONS, {}), (RASTER, {"datetime": "2021"})):
        r = requests.get(
            f"{vectors_url}/collections/{collection}/map", params={**area, **extra}, timeout=60
        )
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png", r.text
        with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
            table = np.zeros((256, 4), dtype=np.uint8)
            for code, colour in ds.colormap(1).items():
                table[code] = colour
            pictures[collection] = table[ds.read(1)]
    vector, raster = pictures[POLYGONS], pictures[RASTER]
    opaque = raster[..., 3] == 255
    assert opaque.mean() > 0.9
    assert np.mean(np.all(vector[opaque] == raster[opaque], axis=-1)) > 0.95


def test_vector_map_without_legend_and_its_map_tiles(vectors_url):
    base = f"{vectors_url}/collections/{COUNTRIES}"
    r = requests.get(
        f"{base}/map", params={"bbox": "5,45,15,55", "width": 100, "height": 100}, timeout=60
    )
    assert r.status_code == 200, r.text
    with rasterio.MemoryFile(r.content) as mem, mem.open() as ds:
        alpha = np.array([ds.colormap(1).get(int(v), (0, 0, 0, 0))[3] for v in ds.read(1).ravel()])
    assert 0.5 < (alpha == 255).mean() <= 1  # land drawn, some sea left clear
    doc = requests.get(f"{base}/map/tiles/WebMercatorQuad", timeout=30).json()
    assert doc["dataType"] == "map"
    lim = doc["tileMatrixSetLimits"][0]
    t = requests.get(
        f"{base}/map/tiles/WebMercatorQuad/{lim['tileMatrix']}/{lim['minTileRow']}/{lim['minTileCol']}",
        timeout=60,
    )
    assert t.status_code == 200 and t.headers["Content-Type"] == "image/png"
