"""Tiles and Maps over the real CORINE store, in process: documents, pixels in the legend's
colours, the asked year, bounded reads, caching, CORS and the OGC exception on bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest
import rasterio
from flask.testing import FlaskClient

from landgrid.catalog import store_path
from landgrid.coverage import pyramid
from landgrid.raster.product import RasterProduct
from landgrid.settings import Settings
from tests.schemas import validate
from tests.tiles.conftest import ID

C = f"/collections/{ID}"
TMS = ("WebMercatorQuad", "WorldCRS84Quad", "EuropeanETRS89_LAEAQuad")
TILES_API = "schemas.opengis.net/ogcapi/tiles/part1/1.0/openapi/"
TMS2 = "schemas.opengis.net/tms/2.0/json/"
JSON_BODY = "#/content/application~1json/schema"


def rgba(body: bytes) -> np.ndarray:
    with rasterio.MemoryFile(body) as mem, mem.open() as ds:
        if ds.count == 1:  # palette
            table = np.zeros((256, 4), dtype=np.uint8)
            for code, colour in ds.colormap(1).items():
                table[code] = colour
            return table[ds.read(1)]
        return np.moveaxis(ds.read(), 0, -1)


def test_tile_matrix_sets_are_listed_with_definitions(client: FlaskClient):
    body = client.get("/tileMatrixSets").json
    validate(body, TILES_API + "responses/tiles-core/rTileMatrixSetsList.yaml" + JSON_BODY)
    listed = body["tileMatrixSets"]
    assert [t["id"] for t in listed] == list(TMS)
    for t in listed:
        tms = client.get(f"/tileMatrixSets/{t['id']}").json
        validate(tms, TMS2 + "tileMatrixSet.json")
        validate(tms, TILES_API + "schemas/tms/tileMatrixSet.yaml")
        assert tms["id"] == t["id"] and tms["tileMatrices"][0]["id"] == "0"
    assert client.get("/tileMatrixSets/EuropeanETRS89_LAEAQuad").json["crs"].endswith("3035")


@pytest.mark.parametrize("tms_id", TMS)
def test_tile_matrix_sets_also_carry_the_tms_1_encoding(client: FlaskClient, tms_id: str):
    """GDAL 3.6's OGCAPI driver parses only the TMS 1.0 JSON members (it fails with
    "Invalid tiling matrix set name" otherwise): the same matrices, corners in CRS axis
    order as the 2.0 ``pointOfOrigin``."""
    tms = client.get(f"/tileMatrixSets/{tms_id}").json
    assert tms["type"] == "TileMatrixSetType" and tms["identifier"] == tms_id
    assert tms["supportedCRS"] == tms["crs"]
    assert len(tms["tileMatrix"]) == len(tms["tileMatrices"])
    for old, new in zip(tms["tileMatrix"], tms["tileMatrices"], strict=True):
        assert old["identifier"] == new["id"] and old["topLeftCorner"] == new["pointOfOrigin"]
        assert old["scaleDenominator"] == new["scaleDenominator"]
        assert (old["matrixWidth"], old["matrixHeight"]) == (
            new["matrixWidth"],
            new["matrixHeight"],
        )


def test_collection_links_tilesets_and_maps(client: FlaskClient):
    doc = client.get(f"{C}?f=json&datetime=2006").json
    rels = {link["rel"]: link["href"] for link in doc["links"]}
    ogc = "http://www.opengis.net/def/rel/ogc/1.0"
    assert rels[f"{ogc}/tilesets-map"].endswith("/map/tiles?datetime=2006")
    assert rels[f"{ogc}/tilesets-coverage"].endswith("/tiles?datetime=2006")
    assert "crs=" in rels[f"{ogc}/map"] and "datetime=2006" in rels[f"{ogc}/map"]
    assert doc["extent"]["spatial"]["storageCrsBbox"]


@pytest.mark.parametrize("tms", TMS)
def test_tileset_documents(client: FlaskClient, tms: str):
    doc = client.get(f"{C}/map/tiles/{tms}?datetime=2006").json
    validate(doc, TILES_API + "responses/tiles-core/rTileSet.yaml" + JSON_BODY)
    validate(doc, TMS2 + "tileSet.json")
    assert doc["dataType"] == "map" and doc["tileMatrixSetURI"].endswith(tms)
    items = [link for link in doc["links"] if link["rel"] == "item"]
    assert items and all(link["templated"] for link in items)
    assert all("{tileMatrix}/{tileRow}/{tileCol}" in link["href"] for link in items)
    assert all("datetime=2006" in link["href"] for link in items)
    rels = {link["rel"] for link in doc["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme" in rels
    assert doc["style"]["links"][0]["href"].endswith(f"{C}/schema")
    limits = doc["tileMatrixSetLimits"]
    assert len(limits) > 4 and [int(lim["tileMatrix"]) for lim in limits] == list(
        range(int(limits[0]["tileMatrix"]), int(limits[-1]["tileMatrix"]) + 1)
    )


@pytest.mark.parametrize("kind", ["tiles", "map/tiles"])
def test_tilesets_lists(client: FlaskClient, kind: str):
    body = client.get(f"{C}/{kind}").json
    validate(body, TILES_API + "responses/tiles-core/rTileSetsList.yaml" + JSON_BODY)
    assert [t["tileMatrixSetURI"].rsplit("/", 1)[1] for t in body["tilesets"]] == list(TMS)
    assert {t["dataType"] for t in body["tilesets"]} == {"coverage" if kind == "tiles" else "map"}


def test_limits_start_where_the_product_spans_a_cell(client: FlaskClient):
    """Coarser matrices would draw the product smaller than one pixel (GDAL 3.6 also fails
    on them); the first listed one is the first whose cells fit in the extent."""
    doc = client.get(f"{C}/map/tiles/WorldCRS84Quad").json
    tms = client.get("/tileMatrixSets/WorldCRS84Quad").json
    west, south, east, north = (
        *doc["boundingBox"]["lowerLeft"],
        *doc["boundingBox"]["upperRight"],
    )
    first = int(doc["tileMatrixSetLimits"][0]["tileMatrix"])
    cells = {int(m["id"]): m["cellSize"] for m in tms["tileMatrices"]}
    assert min(east - west, north - south) >= cells[first]
    assert min(east - west, north - south) < cells[first - 1]


def coarsest_tile(client: FlaskClient, tms: str, kind: str = "map/tiles") -> str:
    lim = client.get(f"{C}/{kind}/{tms}").json["tileMatrixSetLimits"][0]
    return f"{lim['tileMatrix']}/{lim['minTileRow']}/{lim['minTileCol']}"


def deepest_tile(client: FlaskClient, tms: str, kind: str = "map/tiles") -> str:
    lim = client.get(f"{C}/{kind}/{tms}").json["tileMatrixSetLimits"][-1]
    row = (lim["minTileRow"] + lim["maxTileRow"]) // 2
    col = (lim["minTileCol"] + lim["maxTileCol"]) // 2
    return f"{lim['tileMatrix']}/{row}/{col}"


def test_native_tile_equals_the_store(client: FlaskClient, corine: RasterProduct):
    """EuropeanETRS89_LAEAQuad at the product's zoom: each cell is the store's pixel under
    its centre (nearest neighbour, no reprojection), as a GeoTIFF in strips."""
    tms = "EuropeanETRS89_LAEAQuad"
    r = client.get(f"{C}/tiles/{tms}/{deepest_tile(client, tms, 'tiles')}?datetime=2012")
    assert r.status_code == 200 and r.mimetype == "image/tiff"
    with rasterio.MemoryFile(r.data) as mem, mem.open() as ds:
        assert ds.crs.to_epsg() == 3035 and (ds.width, ds.height) == (256, 256)
        assert ds.block_shapes[0][1] == ds.width  # strips, not internal tiles
        assert ds.colormap(1)[corine.legend[0].code][:3] == corine.legend[0].rgb
        codes, t = ds.read(1), ds.transform
    store = store_path(client.application.config["LANDGRID_SETTINGS"], ID)
    with rasterio.open(f"netcdf:{store}:land_cover") as src:
        layer = src.read(2)
    xs = t.c + (np.arange(256) + 0.5) * t.a
    ys = t.f + (np.arange(256) + 0.5) * t.e
    cols = np.floor((xs - corine.extent.xmin) / corine.resolution).astype(int)
    rows = np.floor((corine.extent.ymax - ys) / corine.resolution).astype(int)
    inside_r, inside_c = (rows >= 0) & (rows < corine.height), (cols >= 0) & (cols < corine.width)
    expected = np.full((256, 256), corine.nodata, dtype=np.uint8)
    rr, cc = np.ix_(np.flatnonzero(inside_r), np.flatnonzero(inside_c))
    expected[rr, cc] = layer[rows[rr], cols[cc]]
    assert np.array_equal(codes, expected)


def test_map_tile_shows_legend_colours_and_the_asked_year(client: FlaskClient, corine):
    tile = deepest_tile(client, "WebMercatorQuad")
    years = {}
    for year in (2006, 2012):
        r = client.get(f"{C}/map/tiles/WebMercatorQuad/{tile}?f=png&datetime={year}")
        assert r.status_code == 200 and r.mimetype == "image/png"
        assert r.headers["Content-Datetime"].startswith(str(year))
        years[year] = rgba(r.data)
    colours = {c.rgb for c in corine.legend}
    seen = {tuple(p[:3]) for p in years[2012].reshape(-1, 4) if p[3] == 255}
    assert seen and seen <= colours
    assert not np.array_equal(years[2006], years[2012])  # land cover changed in between
    for f, media in (("jpeg", "image/jpeg"), ("webp", "image/webp")):
        r = client.get(f"{C}/map/tiles/WebMercatorQuad/{tile}?f={f}&datetime=2012")
        assert r.status_code == 200 and r.mimetype == media
        opaque = years[2012][..., 3] == 255
        drawn = rgba(r.data)[..., :3][opaque].astype(int)
        assert np.abs(drawn - years[2012][..., :3][opaque]).mean() < (
            16 if f == "jpeg" else 1
        )  # JPEG is lossy


def test_zoom_zero_reads_an_overview(client: FlaskClient, corine_settings: Settings, monkeypatch):
    """Bounded cost: a whole-product tile reads the smallest level, not the full grid."""
    reads: list[int] = []
    real = pyramid._gather

    def spy(cog, level, rows, cols, out):
        reads.append(level.index)
        return real(cog, level, rows, cols, out)

    monkeypatch.setattr(pyramid, "_gather", spy)
    tile = coarsest_tile(client, "WebMercatorQuad")
    assert client.get(f"{C}/map/tiles/WebMercatorQuad/{tile}").status_code == 200
    assert reads and min(reads) >= 0  # an overview level, never -1 (full resolution)


def test_map_in_the_storage_crs_with_headers(client: FlaskClient, corine: RasterProduct):
    r = client.get(f"{C}/map?width=485")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/3035>"
    assert [float(v) for v in r.headers["Content-Bbox"].split(",")] == list(corine.bounds)
    with rasterio.MemoryFile(r.data) as mem, mem.open() as ds:
        assert (ds.width, ds.height) == (485, 344)
    store = store_path(client.application.config["LANDGRID_SETTINGS"], ID)
    with rasterio.open(f"netcdf:{store}:land_cover") as src:
        expected = src.read(2)  # 2012, the newest
    table = rgba(r.data)
    for code in (c.code for c in corine.legend if c.code != corine.nodata):
        mask = expected == code
        if mask.any():
            assert (
                table[mask][:, :3] == corine.legend[[c.code for c in corine.legend].index(code)].rgb
            ).all()


def test_map_background_and_formats(client: FlaskClient):
    box = "bbox=6.0,46.3,6.4,46.5&width=100&height=50"
    clear = rgba(client.get(f"{C}/map?{box}&crs=[OGC:CRS84]").data)
    assert clear[0, 0, 3] == 0  # outside the data: transparent by default
    red = rgba(client.get(f"{C}/map?{box}&crs=[OGC:CRS84]&bgcolor=0xFF0000").data)
    assert tuple(red[0, 0]) == (255, 0, 0, 255)  # bgcolor without transparent: opaque
    for f, media in (("jpeg", "image/jpeg"), ("webp", "image/webp"), ("tif", "image/tiff")):
        r = client.get(f"{C}/map?{box}&f={f}")
        assert r.status_code == 200 and r.mimetype == media


def test_caching_and_cors(client: FlaskClient):
    url = f"{C}/map/tiles/WebMercatorQuad/{deepest_tile(client, 'WebMercatorQuad')}"
    first = client.get(url, headers={"Origin": "http://elsewhere.example"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert first.headers["ETag"].startswith('"') and "Last-Modified" in first.headers
    assert first.headers["Cache-Control"].startswith("public")
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    pre = client.options(
        url, headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 204 and "GET" in pre.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{C}/map/tiles/NoSuchTMS/0/0/0", 404),
        (f"{C}/map/tiles/WebMercatorQuad/99/0/0", 404),
        (f"{C}/map/tiles/WebMercatorQuad/3/9/9", 404),  # inside the matrix, outside the limits
        (f"{C}/map/tiles/WebMercatorQuad/0/1/0", 404),  # outside the 1 x 1 matrix
        (f"{C}/map/tiles/WebMercatorQuad/0/0/0", 404),  # the product is < 1 px at zoom 0
        (f"{C}/map/tiles/WebMercatorQuad/a/b/c", 400),
        (
            f"{C}/map/tiles/WebMercatorQuad/{{tile}}?datetime=1990",
            404,
        ),  # no such year, as /coverage
        (f"{C}/map/tiles/WebMercatorQuad/{{tile}}?datetime=notatime", 400),
        (f"{C}/map/tiles/WebMercatorQuad/{{tile}}?f=gif", 400),
        (f"{C}/tiles/WebMercatorQuad/{{tile}}?f=png", 400),  # coverage tiles are GeoTIFF
        (f"{C}/map?width=0", 400),
        (f"{C}/map?width=100000&height=100000", 413),
        (f"{C}/map?scale-denominator=5e-324", 413),  # 0 m pixels after underflow
        (f"{C}/map?scale-denominator=1e-305&crs=[OGC:CRS84]", 413),  # inf pixels (was a 500)
        (f"{C}/map?scale-denominator=1e-320&crs=[OGC:CRS84]", 413),  # was the default size
        (f"{C}/map?scale-denominator=0", 400),
        (f"{C}/map?bbox=1,2,3", 400),
        (f"{C}/map?bbox=6,46,7,47&center=6.5,46.5", 400),
        (f"{C}/map?subset=E(4040000:4050000)", 400),  # E is not an axis of CRS84
        (f"{C}/map?bgcolor=nocolour", 400),
        ("/collections/nothing/map/tiles", 404),
        (f"{C}/tiles?f=gif", 400),  # tilesets: what the tiles would refuse, refused at once
        (f"{C}/map/tiles?f=gif", 400),
        (f"{C}/map/tiles/WebMercatorQuad?f=gif", 400),
        (f"{C}/tiles/WebMercatorQuad?datetime=notatime", 400),
        (f"{C}/map/tiles?subset=time(notatime)", 400),
    ],
)
def test_bad_requests_answer_ogc_exceptions(client: FlaskClient, url: str, status: int):
    r = client.get(url.format(tile=coarsest_tile(client, "WebMercatorQuad")))
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.json["status"] == status and r.json["detail"]


def test_conformance_declares_tiles_and_maps(client: FlaskClient):
    classes = client.get("/conformance").json["conformsTo"]
    for c in ("ogcapi-tiles-1/1.0/conf/core", "ogcapi-tiles-1/1.0/conf/tileset",
              "ogcapi-maps-1/1.0/conf/core", "ogcapi-maps-1/1.0/conf/background"):  # fmt: skip
        assert f"http://www.opengis.net/spec/{c}" in classes


@pytest.mark.parametrize(
    "value", ["white", "WHITE", "Orange", "0xFF0000", "0Xff0000", "#00ff00", "00FF00", " white",
              "white\n", "", "nocolour", "0xFF00001", "0x12345", "#"],
)  # fmt: skip
def test_colours_are_what_the_document_says(client: FlaskClient, value: str):
    """``bgcolor`` accepts exactly the documented pattern (ECMA-262: no flags, so the names
    are spelled in any case); what it refuses is a 400."""
    oas = client.get("/openapi?f=json").json
    pattern = oas["components"]["parameters"]["tiles-bgcolor"]["schema"]["pattern"]
    r = client.get(f"{C}/map", query_string={"bgcolor": value, "width": 8})
    assert r.status_code == (200 if re.fullmatch(pattern, value) else 400), r.text


def test_tilejson(client: FlaskClient):
    r = client.get(f"{C}/map/tiles/WebMercatorQuad?f=tilejson")
    assert r.mimetype == "application/vnd.mapbox.tile+json"  # as the data tiles' TileJSON
    doc = r.json
    validate(doc, "raw.githubusercontent.com/mapbox/tilejson-spec/master/3.0.0/schema.json")
    assert doc["tilejson"] == "3.0.0" and "{z}/{y}/{x}" in doc["tiles"][0]
    assert doc["minzoom"] <= doc["center"][2] <= doc["maxzoom"]
    assert client.get(f"{C}/map/tiles/WorldCRS84Quad?f=tilejson").status_code == 400
