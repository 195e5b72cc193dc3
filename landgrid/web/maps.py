"""HTTP wiring of OGC API - Maps: ``/collections/{id}/map`` and its map tiles.

A raster product is drawn from its COG pyramid (``landgrid.coverage.pyramid``), a feature
collection by burning each feature's legend code (``landgrid.features.draw``); both are
then coloured by the same legend palette (``landgrid.tiles.render``). Map tiles are maps
whose grid is a tile of a tile matrix set: ``/map/tiles/{tms}/{z}/{row}/{col}``, the
tilesets OpenLayers' ``OGCMapTile`` and GDAL (``-oo API=TILES``) read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from flask import Blueprint, Response, request

from landgrid.auth.access import CollectionAccess
from landgrid.catalog import Catalog
from landgrid.coverage import pyramid, reader
from landgrid.coverage.plan import Grid, Plan
from landgrid.crs import CRS84, crs_uri
from landgrid.errors import InvalidParameterValue
from landgrid.features.draw import CODE, burn, draw_select
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore, translate_db_errors
from landgrid.guards import LIMITS, Limits
from landgrid.tiles import matrices, raster
from landgrid.tiles.mapquery import MapArea, background, map_grid
from landgrid.tiles.render import MEDIA, Background, Palette, encode
from landgrid.tiles.tilesets import Tileset, tilesets_list
from landgrid.web.caching import Version, cached, not_modified
from landgrid.web.conformance import OGC
from landgrid.web.tiles import (
    VECTOR_CONTENT,
    FeatureStores,
    check_query,
    content_query,
    is_public,
    raster_version,
    tileset_answer,
    tilesets_answer,
    vector_tileset_of,
    wants,
    year_headers,
)

MAPS = f"{OGC}/ogcapi-maps-1/1.0/conf"
MAP_ARGS = {
    "f", "crs", "bbox", "bbox-crs", "width", "height", "scale-denominator", "center",
    "center-crs", "subset", "subset-crs", "bgcolor", "transparent", "void-color",
    "void-transparent",
}  # fmt: skip
BACKGROUND_ARGS = ("bgcolor", "transparent", "void-color", "void-transparent")
FORMATS = {"png": MEDIA["png"], "jpeg": MEDIA["jpeg"], "webp": MEDIA["webp"], "tif": MEDIA["tif"]}
DEFAULT_PALETTE = Palette(((1, (51, 136, 255)),), 0)  # features of a product without legend


def maps_conformance(catalog: Catalog) -> list[str]:
    products = catalog.products()
    if not (products.raster or products.vector):
        return []
    classes = ["core", "collection-map", "tilesets", "scaling", "spatial-subsetting", "crs"]
    classes += ["datetime", "background", "png", "jpeg", "tiff"]
    return [f"{MAPS}/{c}" for c in classes]


def maps_blueprint(
    base: str,
    catalog: Catalog,
    access: CollectionAccess,
    db_url: str,
    fs: FeatureSettings,
    max_pixels: int,
    max_age: int,
    limits: Limits = LIMITS,
) -> Blueprint:
    bp = Blueprint("maps", __name__)
    feature_store = FeatureStores(catalog, db_url, fs, limits)

    def palette_of(store: FeatureStore) -> Palette:
        legend = store.product.legend and catalog.raster(store.product.legend)
        return Palette.of(legend) if legend else DEFAULT_PALETTE

    def draw(collection_id: str, grid: Grid, bg: Background) -> Response:
        """A map of ``grid``: a raster product's year, or a collection's features."""
        fmt = wants(FORMATS, "png")
        public = is_public(access, collection_id)
        headers = {
            "Content-Crs": f"<{crs_uri(grid.crs)}>",
            "Content-Bbox": ",".join(repr(round(v, 9)) for v in grid.bounds),
        }
        product = catalog.raster(collection_id)
        if product is not None:
            store = catalog.store(collection_id)
            year = raster.year_of(
                reader.years(store), request.args.get("datetime"), request.args.getlist("subset")
            )
            version = raster_version(product, store, year[0], public)
            hit = not_modified(version, max_age)
            if hit:
                return hit
            plan = Plan(product, (year[0],), (year[1],), grid, None)
            codes, palette = pyramid.read(store, plan)[0], Palette.of(product)
            headers |= year_headers(year[0])
        else:
            store_ = feature_store(collection_id)
            codes, palette = features(store_, grid), palette_of(store_)
            version = None
        if bg.distinct_void:
            codes = np.where(void_mask(grid), palette.void, codes).astype(np.uint8)
        body = encode(codes, palette, fmt, bg, grid.crs, grid.transform)
        if version is None:
            version = Version(("map", body), None, public)
            hit = not_modified(version, max_age)
            if hit:
                return hit
        return cached(Response(body, content_type=FORMATS[fmt], headers=headers), version, max_age)

    def features(store: FeatureStore, grid: Grid) -> np.ndarray:
        info, req = store.parse({k: v for k, v in request.args.items() if k in VECTOR_CONTENT})
        srid = 4326 if grid.crs == CRS84 else grid.crs.to_epsg()
        if srid is None:
            raise InvalidParameterValue("crs: maps of features need a CRS with an EPSG code")
        west, south, east, north = matrices.transformer(grid.crs, CRS84).transform_bounds(
            *grid.bounds, densify_pts=21
        )
        pixel = min(abs(grid.transform.a), abs(grid.transform.e))
        coded = CODE in info.columns and info.columns[CODE].kind == "integer"
        query = draw_select(info, req, (west, south, east, north), srid, pixel, coded)
        with translate_db_errors(), store.reader.connect() as conn:
            rows = conn.execute(query).all()
        nodata = palette_of(store).nodata
        return burn(rows, (grid.height, grid.width), grid.transform, nodata)

    def area_of(collection_id: str) -> MapArea:
        product = catalog.raster(collection_id)
        if product is not None:
            return MapArea(product.crs, product.bounds, product.resolution)
        store = feature_store(collection_id)
        storage = store.product.storage_crs
        crs = matrices.parse_crs(storage, "storageCrs")
        bounds = matrices.transformer(CRS84, crs).transform_bounds(
            *store.product.bbox, densify_pts=21
        )
        span = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
        return MapArea(crs, bounds, span / 1024)

    def tileset_of(collection_id: str, tms_id: str) -> Tileset:
        matrices.tile_matrix_set(tms_id)
        product = catalog.raster(collection_id)
        if product is not None:
            return raster.tileset(base, product, "map", tms_id, content_query())
        return vector_tileset_of(base, feature_store(collection_id), tms_id, "map", content_query())

    @bp.get("/collections/<collection_id>/map")
    def collection_map(collection_id: str) -> Response:
        check_query(
            catalog, feature_store, collection_id, tuple(MAP_ARGS - {"subset"}), content=False
        )
        args: Mapping[str, Sequence[str]] = request.args.to_dict(flat=False)
        grid = map_grid(args, area_of(collection_id), max_pixels)
        return draw(collection_id, grid, background(args))

    @bp.get("/collections/<collection_id>/map/tiles")
    def map_tilesets(collection_id: str) -> Response:
        check_query(catalog, feature_store, collection_id, formats=("json", "html"))
        sets = [tileset_of(collection_id, t) for t in matrices.IDS]
        href = f"{base}/collections/{collection_id}/map/tiles"
        body = tilesets_list(href, sets, content_query())
        public = is_public(access, collection_id)
        return tilesets_answer(base, catalog, collection_id, body, "map tilesets", public, max_age)

    @bp.get("/collections/<collection_id>/map/tiles/<tms_id>")
    def map_tileset(collection_id: str, tms_id: str) -> Response:
        check_query(catalog, feature_store, collection_id, formats=("json", "tilejson", "html"))
        ts = tileset_of(collection_id, tms_id)
        public = is_public(access, collection_id)
        what = f"{tms_id} map tiles"
        return tileset_answer(base, catalog, collection_id, ts, what, public, max_age)

    @bp.get("/collections/<collection_id>/map/tiles/<tms_id>/<z>/<row>/<col>")
    def map_tile(collection_id: str, tms_id: str, z: str, row: str, col: str) -> Response:
        check_query(catalog, feature_store, collection_id, BACKGROUND_ARGS, content=False)
        ts = tileset_of(collection_id, tms_id)
        tile = matrices.parse_tile(tms_id, z, row, col, ts.limits)
        bg = background(request.args.to_dict(flat=False))
        return draw(collection_id, raster.tile_grid(tms_id, tile), bg)

    return bp


def void_mask(grid: Grid) -> np.ndarray:
    """Pixels whose centre has no place on Earth in the grid's CRS (outside its valid area)."""
    t = grid.transform
    xs = t.c + (np.arange(grid.width) + 0.5) * t.a
    ys = t.f + (np.arange(grid.height) + 0.5) * t.e
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = matrices.transformer(grid.crs, CRS84).transform(gx, gy)
    return ~(np.isfinite(lon) & np.isfinite(lat))
