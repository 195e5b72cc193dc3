"""The Tiles and Maps routes in the OpenAPI document: one fragment, self-contained.

``describe(context)`` returns ``{"paths", "components", "tags"}`` for what
``landgrid.web.tiles`` and ``landgrid.web.maps`` serve now: the tile matrix sets, and for
each collection its tilesets (coverage or vector tiles, map tiles), tiles, map and map
tiles, with every query parameter those routes read, the media types and statuses they
answer with, and only local ``$ref``s (component names prefixed ``tiles-``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from landgrid.tiles.mapquery import COLOUR_PATTERN
from landgrid.tiles.matrices import IDS
from landgrid.tiles.render import MEDIA
from landgrid.tiles.tilesets import MVT, TILEJSON
from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    JSON,
    SERVER_ERROR,
    STRING,
    Context,
    Fragment,
    error,
    fmt,
    path_param,
    query,
    ref,
    schema_ref,
)

TAG = "Tiles and maps"
P = "tiles-"  # component prefix


def _ref(section: str, name: str) -> dict[str, str]:
    return ref(section, f"{P}{name}")


NUMBERS = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
BOOLEAN = {"type": "string", "enum": ["true", "false"]}
COLOUR = {"type": "string", "pattern": COLOUR_PATTERN}
PARAMETERS: dict[str, dict[str, Any]] = {
    "tileMatrixSetId": path_param(
        "tileMatrixSetId", "A tile matrix set served here.", {"type": "string", "enum": list(IDS)}
    ),
    "tileMatrix": path_param("tileMatrix", "Zoom level: a tile matrix of the set.", STRING),
    "tileRow": path_param(
        "tileRow", "Row of the tile in its matrix.", {"type": "integer", "minimum": 0}
    ),
    "tileCol": path_param(
        "tileCol", "Column of the tile in its matrix.", {"type": "integer", "minimum": 0}
    ),
    "datetime": query(
        "datetime",
        "The year shown (an instant or interval, ISO 8601); the "
        "newest one it selects, the product's newest without it. On features: "
        "the features valid then, as on `/items`.",
        STRING,
    ),
    "subset": query(
        "subset",
        "`time(...)`/`datetime(...)` selects the year like `datetime`; "
        "on maps also `Lon(a:b)`, `Lat(a:b)` (or `E`/`N` in a projected "
        "`subset-crs`) choose the area.",
        {"type": "array", "items": STRING},
    ),
    "filter": query("filter", "CQL2 filter on the features (as on `/items`).", STRING),
    "filter-lang": query(
        "filter-lang",
        "`cql2-text` (default) or `cql2-json`.",
        {"type": "string", "enum": ["cql2-text", "cql2-json"]},
    ),
    "filter-crs": query(
        "filter-crs", "CRS of the geometries in `filter` (CRS84 by default).", STRING
    ),
    "crs": query(
        "crs",
        "CRS of the map (URI, `[OGC:CRS84]` or `EPSG:n`); the storage CRS by default.",
        STRING,
    ),
    "bbox": query(
        "bbox",
        "Area of the map `minx,miny,maxx,maxy` in `bbox-crs`.",
        {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
    ),
    "bbox-crs": query("bbox-crs", "CRS of `bbox` (CRS84 by default).", STRING),
    "subset-crs": query("subset-crs", "CRS of the spatial `subset` (CRS84 by default).", STRING),
    "center": query(
        "center", "Centre of the map `x,y` in `center-crs`, with `width`/`height`.", NUMBERS
    ),
    "center-crs": query("center-crs", "CRS of `center` (CRS84 by default).", STRING),
    "width": query(
        "width",
        "Width of the map in pixels (the height keeps the aspect).",
        {"type": "integer", "minimum": 1},
    ),
    "height": query("height", "Height of the map in pixels.", {"type": "integer", "minimum": 1}),
    "scale-denominator": query(
        "scale-denominator",
        "Scale of the map for 0.28 mm pixels.",
        {"type": "number", "exclusiveMinimum": True, "minimum": 0},
    ),
    "bgcolor": query("bgcolor", "Colour of no-data pixels: `0xRRGGBB` or a W3C name.", COLOUR),
    "transparent": query(
        "transparent", "No-data pixels transparent (default true, false with `bgcolor`).", BOOLEAN
    ),
    "void-color": query("void-color", "Colour outside the CRS's valid area.", COLOUR),
    "void-transparent": query("void-transparent", "Outside the CRS's area transparent.", BOOLEAN),
}
MAP_PARAMETERS = ("crs", "bbox", "bbox-crs", "subset-crs", "center", "center-crs", "width",
                  "height", "scale-denominator", "bgcolor", "transparent", "void-color",
                  "void-transparent")  # fmt: skip
MAP_FORMATS = {
    "png": MEDIA["png"],
    "jpeg": MEDIA["jpeg"],
    "webp": MEDIA["webp"],
    "tif": MEDIA["tif"],
}
HEADERS = {
    "ETag": {"description": "Strong validator of this answer.", "schema": STRING},
    "Last-Modified": {"description": "When the product's version appeared.", "schema": STRING},
    "Cache-Control": {
        "description": "`public` for public products, else `private`.",
        "schema": STRING,
    },
}
LIMIT = {
    "type": "object",
    "required": ["tileMatrix", "minTileRow", "maxTileRow", "minTileCol", "maxTileCol"],
    "properties": {
        "tileMatrix": STRING,
        **{
            k: {"type": "integer", "minimum": 0}
            for k in ("minTileRow", "maxTileRow", "minTileCol", "maxTileCol")
        },
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "tileSet": {
        "type": "object",
        "required": ["dataType", "crs", "links"],
        "properties": {
            "title": STRING,
            "dataType": {"type": "string", "enum": ["map", "vector", "coverage"]},
            "crs": STRING,
            "tileMatrixSetURI": STRING,
            "tileMatrixSetLimits": {"type": "array", "items": _ref("schemas", "limit")},
            "links": {"type": "array", "items": schema_ref("link")},
        },
    },
    "limit": LIMIT,
    "tileSets": {
        "type": "object",
        "required": ["tilesets"],
        "properties": {
            "links": {"type": "array", "items": schema_ref("link")},
            "tilesets": {"type": "array", "items": _ref("schemas", "tileSet")},
        },
    },
    "tileMatrixSet": {
        "type": "object",
        "required": ["crs", "tileMatrices"],
        "description": "2D TMS 2.0, with the TMS 1.0 members beside (GDAL 3.6).",
        "properties": {
            "id": STRING,
            "uri": STRING,
            "crs": STRING,
            "tileMatrices": {"type": "array", "items": {"type": "object"}},
        },
    },
    "tileMatrixSets": {
        "type": "object",
        "required": ["tileMatrixSets"],
        "properties": {
            "links": {"type": "array", "items": schema_ref("link")},
            "tileMatrixSets": {"type": "array", "items": {"type": "object"}},
        },
    },
}
BINARY = {"type": "string", "format": "binary"}
ERRORS = {
    "400": BAD_REQUEST,
    "404": error(
        "No such collection, tile matrix set, or tile (outside the matrix or the tileset's limits)."
    ),
    "500": SERVER_ERROR,
}


def _params(*names: str) -> list[dict[str, str]]:
    return [_ref("parameters", n) for n in names]


def _get(op_id: str, summary: str, ok: dict[str, Any], params: list, status: str = "200") -> dict:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "tags": [TAG],
            "parameters": params,
            "responses": {
                status: ok,
                "304": {"description": "Not modified (`If-None-Match`)."},
                **ERRORS,
            },
        }
    }


def _map(op_id: str, summary: str, ok: dict[str, Any], params: list) -> dict:
    """A map: its size is the client's, so it may be over the server's limit."""
    path = _get(op_id, summary, ok, params)
    path["get"]["responses"]["413"] = error(
        "The map's width x height is over the server's limit of pixels per map."
    )
    return path


def _ok(description: str, media: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": HEADERS,
        "content": {m: {"schema": s} for m, s in media.items()},
    }


def _collection_paths(cid: str, raster: bool) -> dict[str, Any]:
    op = cid.replace("-", "_")
    base = f"/collections/{cid}"
    content = (
        _params("datetime", "subset")
        if raster
        else _params("datetime", "filter", "filter-lang", "filter-crs")
    )
    kind, media = ("coverage", {MEDIA["tif"]: BINARY}) if raster else ("vector", {MVT: BINARY})
    map_params = _params(*MAP_PARAMETERS)
    pictures = {m: BINARY for m in MAP_FORMATS.values()}
    background = _params("bgcolor", "transparent", "void-color", "void-transparent")
    return {
        **_tileset_paths(f"{base}/tiles", op, f"{cid}: {kind}",
                         _ok(f"The tile ({kind} data).", media),
                         [fmt("tif" if raster else "mvt"), *content], content, empty=not raster),
        f"{base}/map": _map(f"{op}_map", f"{cid}: a map in the legend's colours",
                            _ok("The map.", pictures), [fmt(*MAP_FORMATS), *map_params, *content]),
        **_tileset_paths(f"{base}/map/tiles", f"{op}_map", f"{cid}: map",
                         _ok("The map tile.", pictures),
                         [fmt(*MAP_FORMATS), *background, *content], content),
    }  # fmt: skip


def _tileset_paths(
    prefix: str,
    op: str,
    what: str,
    tile_ok: dict[str, Any],
    tile_params: list,
    content: list,
    empty: bool = False,
) -> dict[str, Any]:
    """A tilesets list, its tilesets (one per tile matrix set) and their tiles."""
    docs = {JSON: _ref("schemas", "tileSet"), TILEJSON: {"type": "object"}, "text/html": STRING}
    cell = _params("tileMatrixSetId", "tileMatrix", "tileRow", "tileCol")
    tile = _get(f"{op}_tile", f"{what} tile", tile_ok, [*cell, *tile_params])
    if empty:
        tile["get"]["responses"]["204"] = {"description": "No feature in this tile."}
    return {
        prefix: _get(f"{op}_tilesets", f"{what} tilesets",
                     _ok("Tilesets, one per tile matrix set.",
                         {JSON: _ref("schemas", "tileSets"), "text/html": STRING}),
                     [fmt("json", "html"), *content]),
        f"{prefix}/{{tileMatrixSetId}}": _get(
            f"{op}_tileset", f"{what} tileset",
            _ok("Tileset metadata, or TileJSON (WebMercatorQuad).", docs),
            [*_params("tileMatrixSetId"), fmt("json", "tilejson", "html"), *content]),
        f"{prefix}/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": tile,
    }  # fmt: skip


def describe(context: Context) -> Fragment:
    """Paths, components and tag of the Tiles and Maps routes for the caller's collections."""
    products = context.products
    if not (products.raster or products.vector):
        return {}
    paths: dict[str, Any] = {
        "/tileMatrixSets": _get(
            "tile_matrix_sets",
            "The tile matrix sets served",
            _ok("Their list.", {JSON: _ref("schemas", "tileMatrixSets")}),
            [],
        ),
        "/tileMatrixSets/{tileMatrixSetId}": _get(
            "tile_matrix_set",
            "A tile matrix set definition",
            _ok("2D TMS 2.0 (with the 1.0 members).", {JSON: _ref("schemas", "tileMatrixSet")}),
            _params("tileMatrixSetId"),
        ),
    }
    for cid in products.raster:
        paths |= _collection_paths(cid, raster=True)
    for cid in products.vector:
        paths |= _collection_paths(cid, raster=False)
    return {
        "paths": paths,
        "components": {
            "parameters": {f"{P}{k}": v for k, v in PARAMETERS.items()},
            "schemas": {f"{P}{k}": v for k, v in SCHEMAS.items()},
        },
        "tags": [{"name": TAG, "description": "OGC API - Tiles 1.0 and Maps 1.0"}],
    }
