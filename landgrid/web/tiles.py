"""HTTP wiring of OGC API - Tiles: tile matrix sets, and data tiles of every collection.

- ``/tileMatrixSets[/{id}]``: the sets served, with their 2D TMS 2.0 definitions;
- ``/collections/{id}/tiles[/{tms}[/{z}/{row}/{col}]]``: coverage tiles of a raster
  product (its class codes as GeoTIFF, with the colour table) and vector tiles (MVT) of a
  feature collection, with their tileset documents (``f=tilejson`` for TileJSON).

Map tiles (the legend's colours) are the Maps API's (``landgrid.web.maps``). Every answer
carries CORS and cache headers (``landgrid.web.caching``); tiles and tilesets honour
``If-None-Match``. Access (owned collections) is the auth hook's, as for every
``/collections/{id}/...`` path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from landgrid.auth.access import Caller, CollectionAccess
from landgrid.catalog import Catalog
from landgrid.coverage import reader
from landgrid.crs import CRS84, CRS84_URI
from landgrid.errors import InvalidParameterValue, NotFound
from landgrid.features.mvt import layer_description, mvt_select
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore, translate_db_errors
from landgrid.guards import LIMITS, Limits
from landgrid.raster import cogs
from landgrid.raster.product import RasterProduct
from landgrid.tiles import matrices, raster
from landgrid.tiles.render import MEDIA, Palette, encode
from landgrid.tiles.tilesets import MVT, REL, TILEJSON, Tileset, matrix_sets_list, tilesets_list
from landgrid.web.caching import Version, cached, not_modified
from landgrid.web.conformance import OGC
from landgrid.web.http import JSON, check_params, json_response
from landgrid.web.tiles_page import tiles_page

TILES = f"{OGC}/ogcapi-tiles-1/1.0/conf"
RASTER_CONTENT = ("datetime", "subset")
VECTOR_CONTENT = ("datetime", "filter", "filter-lang", "filter-crs")
CONTENT_ARGS = (*RASTER_CONTENT, *VECTOR_CONTENT[1:])
RENDERER = 1  # bump when the same product version would give different tile bytes
VECTOR_DEEPEST = 17  # vector tiles down to ~1 m cells in Web Mercator


def tiles_conformance(catalog: Catalog) -> list[str]:
    """Tiles classes while a collection is served (there is always one of the TMS)."""
    products = catalog.products()
    if not (products.raster or products.vector):
        return []
    classes = ["core", "tileset", "tilesets-list", "geodata-tilesets", "datetime", "oas30"]
    if products.raster:
        classes += ["png", "jpeg", "tiff"]
    if products.vector:
        classes.append("mvt")
    return [f"{TILES}/{c}" for c in classes]


def collection_links(base: str, collection_id: str, raster: bool) -> list[dict[str, Any]]:
    """What a collection document links for tiles and maps (``/req/geodata-tilesets/
    desc-links``, ``/req/collection-map/desc-links``, ``/req/tilesets/desc-links``), with
    the request's ``datetime``/``filter`` carried along (GDAL reads the year from there)."""
    href = f"{base}/collections/{collection_id}"
    query = content_query()

    def at(path: str, **extra: str) -> str:
        args = {**query, **extra}
        return f"{href}/{path}" + (f"?{urlencode(args, safe=':/,')}" if args else "")

    data = "tilesets-coverage" if raster else "tilesets-vector"
    what = "coverage tiles (class codes, GeoTIFF)" if raster else "vector tiles (MVT)"
    links = [
        {"href": at("tiles"), "rel": f"{REL}/{data}", "type": JSON, "title": what},
        {
            "href": at("map/tiles"),
            "rel": f"{REL}/tilesets-map",
            "type": JSON,
            "title": "map tiles (the legend's colours)",
        },
    ]
    for f, media in (("png", MEDIA["png"]), ("jpeg", MEDIA["jpeg"])):
        links.append(
            {
                "href": at("map", crs=CRS84_URI, f=f),
                "rel": f"{REL}/map",
                "type": media,
                "title": f"a map in CRS84 ({f}); add bbox, width, height",
            }
        )
    return links


def content_query() -> dict[str, str]:
    """The request's content-selecting parameters, carried into links and templates."""
    return {k: request.args[k] for k in CONTENT_ARGS if k in request.args}


def check_query(
    catalog: Catalog,
    stores: FeatureStores,
    collection_id: str,
    extra: tuple[str, ...] = (),
    formats: tuple[str, ...] | None = None,
    content: bool = True,
) -> None:
    """Refuse what the API definition does not declare for this route before any work:
    unknown parameters, a format not in ``formats``, content parameters (the year; the
    features' filter and time) that do not parse. An unknown collection is a 404.
    ``content=False`` where the route parses the content itself anyway (tiles, maps: the
    hot paths parse it once)."""
    product = catalog.raster(collection_id)
    content = RASTER_CONTENT if product is not None else VECTOR_CONTENT
    check_params(["f", *content, *extra])
    f = request.args.get("f")
    if formats is not None and f is not None and f not in formats:
        raise InvalidParameterValue(f"f: unknown format {f!r}; use one of {', '.join(formats)}")
    if not content:
        return
    if product is not None:
        raster.year_of(
            reader.years(catalog.store(collection_id)),
            request.args.get("datetime"),
            request.args.getlist("subset"),
        )
    else:
        stores(collection_id).parse({k: v for k, v in request.args.items() if k in content})


def is_public(access: CollectionAccess, collection_id: str) -> bool:
    """Would an anonymous caller see it? (cacheable by shared caches, else private)."""
    return access.readable(Caller("anonymous"), collection_id)


def wants(choices: dict[str, str], default: str, extra: tuple[str, ...] = ()) -> str:
    """The format asked by ``f`` (wins) or ``Accept`` among ``choices`` (name -> media)."""
    f = request.args.get("f")
    if f is not None:
        name = {"jpg": "jpeg", "tiff": "tif", "geotiff": "tif", "pbf": "mvt"}.get(f, f)
        if name not in choices and name not in extra:
            raise InvalidParameterValue(
                f"f: unknown format {f!r}; use one of {', '.join([*choices, *extra])}"
            )
        return name
    best = request.accept_mimetypes.best_match([*choices.values()], default=choices[default])
    return next(n for n, m in choices.items() if m == best)


@dataclass(frozen=True)
class RasterVersion:
    """The version of a year's pixels: its COG (or the store while the COG is stale)."""

    parts: tuple
    modified: float

    @classmethod
    def of(cls, product: RasterProduct, store: Path, year: int) -> RasterVersion:
        source = cogs.current_cog(store, year) or store
        st = source.stat()
        legend = tuple((c.code, c.colour) for c in product.legend)
        return cls((str(source), st.st_ino, st.st_mtime_ns, st.st_size, legend), st.st_mtime)


def raster_version(product: RasterProduct, store: Path, year: int, public: bool) -> Version:
    v = RasterVersion.of(product, store, year)
    return Version(
        (*v.parts, RENDERER, request.path, sorted(request.args.items(multi=True))),
        v.modified,
        public,
    )


class FeatureStores:
    """The store of each feature collection, one per definition (a changed definition,
    e.g. a new owner or legend, gets a new store)."""

    def __init__(self, catalog: Catalog, db_url: str, fs: FeatureSettings, limits: Limits):
        self.catalog, self.db_url, self.fs, self.limits = catalog, db_url, fs, limits
        self._stores: dict[str, FeatureStore] = {}

    def __call__(self, collection_id: str) -> FeatureStore:
        product = self.catalog.vector(collection_id)
        if product is None:
            raise NotFound(f"no collection {collection_id!r}")
        store = self._stores.get(collection_id)
        if store is None or store.product != product:
            store = FeatureStore(self.db_url, product, self.fs, self.limits)
            self._stores[collection_id] = store
        return store


def document(body: dict[str, Any], public: bool, max_age: int, media: str = JSON) -> Response:
    """A tiles JSON document with its validators (304 when the client has it)."""
    version = Version((request.full_path, repr(body)), None, public)
    return not_modified(version, max_age) or cached(
        json_response(body, media_type=media), version, max_age
    )


def tilesets_answer(
    base: str, catalog: Catalog, collection_id: str, body: dict[str, Any], what: str,
    public: bool, max_age: int,
) -> Response:  # fmt: skip
    """A tilesets list as a page or JSON (``what``: "map tilesets" ...)."""
    if html := tiles_page(base, catalog, collection_id, body, what):
        return html
    wants({"json": JSON}, "json")
    return document(body, public, max_age)


def tileset_answer(
    base: str, catalog: Catalog, collection_id: str, ts: Tileset, what: str,
    public: bool, max_age: int,
) -> Response:  # fmt: skip
    """A tileset as a page, its metadata, or TileJSON (WebMercatorQuad only)."""
    if html := tiles_page(base, catalog, collection_id, ts.document(), what):
        return html
    if wants({"json": JSON, "tilejson": TILEJSON}, "json") == "tilejson":
        if ts.tms_id != "WebMercatorQuad":
            raise InvalidParameterValue("f: TileJSON describes WebMercatorQuad tilesets only")
        return document(ts.tilejson(), public, max_age, TILEJSON)
    return document(ts.document(), public, max_age)


def vector_tileset_of(
    base: str, store: FeatureStore, tms_id: str, data_type: str, query: dict[str, str]
) -> Tileset:
    """A feature collection's tileset: vector tiles, or its map tiles."""
    product = store.product
    bounds = tuple(product.bbox)
    deepest = min(
        matrices.tile_matrix_set(tms_id).maxzoom,
        matrices.max_zoom(tms_id, CRS84, bounds, 1e-5),  # ~1 m cells
        VECTOR_DEEPEST,
    )
    limits = matrices.limits(tms_id, CRS84, bounds, deepest)
    layer = None
    if data_type == "vector":
        info = store.info()
        layer = layer_description(info, store.queryables(), [lim.zoom for lim in limits])
    legend = f"{base}/collections/{product.legend}/schema" if product.legend else None
    return Tileset(
        base,
        product.id,
        product.title,
        data_type,
        tms_id,
        limits,
        list(product.bbox),
        query,
        legend,
        layer,
    )


def tiles_blueprint(
    base: str,
    catalog: Catalog,
    access: CollectionAccess,
    db_url: str,
    fs: FeatureSettings,
    max_age: int,
    limits: Limits = LIMITS,
) -> Blueprint:
    bp = Blueprint("tiles", __name__)
    feature_store = FeatureStores(catalog, db_url, fs, limits)

    def vector_tileset(collection_id: str, tms_id: str) -> tuple[Tileset, FeatureStore]:
        store = feature_store(collection_id)
        return vector_tileset_of(base, store, tms_id, "vector", content_query()), store

    def raster_tileset(collection_id: str, tms_id: str, data_type: str) -> Tileset:
        product = catalog.raster(collection_id)
        if product is None:
            raise NotFound(f"no collection {collection_id!r}")
        return raster.tileset(base, product, data_type, tms_id, content_query())

    def tileset_of(collection_id: str, tms_id: str) -> Tileset:
        matrices.tile_matrix_set(tms_id)
        if catalog.raster(collection_id) is not None:
            return raster_tileset(collection_id, tms_id, "coverage")
        return vector_tileset(collection_id, tms_id)[0]

    @bp.get("/tileMatrixSets")
    def tile_matrix_sets() -> Response:
        check_params([])
        return document(matrix_sets_list(base, list(matrices.IDS)), True, max_age)

    @bp.get("/tileMatrixSets/<tms_id>")
    def tile_matrix_set(tms_id: str) -> Response:
        check_params([])
        return document(matrices.definition(tms_id), True, max_age)

    @bp.get("/collections/<collection_id>/tiles")
    def tilesets(collection_id: str) -> Response:
        check_query(catalog, feature_store, collection_id, formats=("json", "html"))
        sets = [tileset_of(collection_id, t) for t in matrices.IDS]
        href = f"{base}/collections/{collection_id}/tiles"
        body = tilesets_list(href, sets, content_query())
        public = is_public(access, collection_id)
        return tilesets_answer(base, catalog, collection_id, body, "data tilesets", public, max_age)

    @bp.get("/collections/<collection_id>/tiles/<tms_id>")
    def tileset(collection_id: str, tms_id: str) -> Response:
        check_query(catalog, feature_store, collection_id, formats=("json", "tilejson", "html"))
        ts = tileset_of(collection_id, tms_id)
        public = is_public(access, collection_id)
        return tileset_answer(base, catalog, collection_id, ts, f"{tms_id} tiles", public, max_age)

    @bp.get("/collections/<collection_id>/tiles/<tms_id>/<z>/<row>/<col>")
    def tile(collection_id: str, tms_id: str, z: str, row: str, col: str) -> Response:
        check_query(catalog, feature_store, collection_id, content=False)
        product = catalog.raster(collection_id)
        if product is None:
            return vector_tile(collection_id, tms_id, z, row, col)
        wants({"tif": MEDIA["tif"]}, "tif")
        tile = matrices.parse_tile(tms_id, z, row, col, raster.limits(product, tms_id))
        store = catalog.store(collection_id)
        year = raster.year_of(
            reader.years(store), request.args.get("datetime"), request.args.getlist("subset")
        )
        version = raster_version(product, store, year[0], is_public(access, collection_id))
        hit = not_modified(version, max_age)
        if hit:
            return hit
        codes = raster.tile_codes(product, store, year, tms_id, tile)
        grid = raster.tile_grid(tms_id, tile)
        body = encode(codes, Palette.of(product), "tif", crs=grid.crs, transform=grid.transform)
        response = Response(body, content_type=MEDIA["tif"], headers=year_headers(year[0]))
        return cached(response, version, max_age)

    def vector_tile(collection_id: str, tms_id: str, z: str, row: str, col: str) -> Response:
        wants({"mvt": MVT}, "mvt")
        ts, store = vector_tileset(collection_id, tms_id)
        tile = matrices.parse_tile(tms_id, z, row, col, ts.limits)
        info, req = store.parse({k: v for k, v in request.args.items() if k in VECTOR_CONTENT})
        bounds = matrices.tile_bounds(tms_id, tile)
        crs84 = matrices.tms_bounds_crs84(tms_id, bounds)
        query = mvt_select(info, req, bounds, matrices.srid(tms_id), crs84)
        with translate_db_errors(), store.reader.connect() as conn:
            body = bytes(conn.execute(query).scalar() or b"")
        version = Version(("mvt", body), None, is_public(access, collection_id))
        hit = not_modified(version, max_age)
        if hit:
            return hit
        status = 200 if body else 204
        return cached(Response(body, status=status, content_type=MVT), version, max_age)

    return bp


def year_headers(year: int) -> dict[str, str]:
    span = f"{year}-01-01T00:00:00Z/{year}-12-31T23:59:59Z"
    return {"Content-Datetime": span, "OGCAPI-Datetime": span}
