"""The catalogue in the OpenAPI document: OGC API - Records (the ``catalogue`` collection),
the STAC API under ``/stac`` and the COG downloads, as ``landgrid.web.records``, ``stac`` and
``downloads`` serve them.

Records and STAC searches run through the Features engine over the catalogue table, so the
parameters they share with ``/items`` are the ones ``features`` describes (same parsing,
bounds and CRS lists), with each API's own beside; components are prefixed ``records-`` or
``stac-``. The downloads are described for each coverage collection the caller may read.
"""

from __future__ import annotations

from typing import Any

from landgrid.catalogue.entry import CATALOGUE
from landgrid.catalogue.records import GEOTIFF
from landgrid.catalogue.store import RECORD_QUERYABLES, RECORDS, STAC_ITEMS
from landgrid.features.store import SCHEMA_TYPES
from landgrid.web.openapi.features import CONTENT_CRS, F_FEATURES, GEOMETRY, items_parameters
from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    F_JSON_HTML,
    GEOJSON,
    HTML,
    JSON,
    LINKS,
    SCHEMA_JSON,
    STRING,
    UNAVAILABLE,
    Context,
    Fragment,
    error,
    header,
    json_and_html,
    listing,
    operation,
    path_param,
    query,
    response,
    schema_ref,
)
from landgrid.web.records import EXTERNAL_ID, OWN

RECORDS_TAG, STAC_TAG = "catalogue", "STAC"
STRINGS = {"type": "array", "minItems": 1, "items": STRING}
NUMBERS = {"type": "array", "items": {"type": "number"}}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_OBJECT = {"type": "object", "nullable": True}
BINARY = {"type": "string", "format": "binary"}
NOT_APPLIED = (
    "Accepted as on a features collection's `/items`; records are served whole, in CRS84, "
    "so it changes nothing."
)
TIMES = ("created", "updated", "time_start", "time_end")
KINDS = {"year": "integer", **dict.fromkeys(TIMES, "date-time")}  # the rest is text (0006)


def feature_collection(feature: str, **members: dict[str, Any]) -> dict[str, Any]:
    """A page of ``feature`` (a schema's name): a GeoJSON feature collection with links."""
    count = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "required": ["type", "features", "links"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": schema_ref(feature)},
            "numberMatched": count,
            "numberReturned": count,
            **members,
            "links": LINKS,
        },
    }


SCHEMAS: dict[str, Any] = {
    "geometryGeoJSON": GEOMETRY,
    "records-record": {
        "type": "object",
        "required": ["id", "type", "geometry", "properties"],
        "properties": {
            "id": STRING,
            "type": {"type": "string", "enum": ["Feature"]},
            "time": NULLABLE_OBJECT,
            "geometry": schema_ref("geometryGeoJSON"),
            "conformsTo": {"type": "array", "items": STRING},
            "properties": {
                "type": "object",
                "required": ["type", "title"],
                "properties": {
                    "type": STRING,
                    "title": STRING,
                    "description": STRING,
                    "keywords": {"type": "array", "items": STRING},
                    "license": STRING,
                    "created": DATE_TIME,
                    "updated": DATE_TIME,
                },
            },
            "links": LINKS,
        },
    },
    "records-records": feature_collection("records-record", timeStamp=DATE_TIME),
    "stac-catalog": {
        "type": "object",
        "required": ["type", "stac_version", "id", "description", "links", "conformsTo"],
        "properties": {
            "type": {"type": "string", "enum": ["Catalog"]},
            "stac_version": STRING,
            "id": STRING,
            "title": STRING,
            "description": STRING,
            "conformsTo": {"type": "array", "items": STRING},
            "links": LINKS,
        },
    },
    "stac-collection": {
        "type": "object",
        "required": ["type", "stac_version", "id", "description", "license", "extent", "links"],
        "properties": {
            "type": {"type": "string", "enum": ["Collection"]},
            "stac_version": STRING,
            "stac_extensions": {"type": "array", "items": STRING},
            "id": STRING,
            "title": STRING,
            "description": STRING,
            "keywords": {"type": "array", "items": STRING},
            "license": STRING,
            "extent": schema_ref("extent"),
            "summaries": {"type": "object"},
            "assets": {"type": "object"},
            "links": LINKS,
        },
    },
    "stac-collections": listing("collections", "stac-collection"),
    "stac-item": {
        "type": "object",
        "required": ["type", "stac_version", "id", "geometry", "properties", "links", "assets"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "stac_version": STRING,
            "stac_extensions": {"type": "array", "items": STRING},
            "id": STRING,
            "collection": STRING,
            "geometry": schema_ref("geometryGeoJSON"),
            "bbox": NUMBERS,
            "properties": {
                "type": "object",
                "required": ["datetime"],
                "properties": {"datetime": {**DATE_TIME, "nullable": True}},
            },
            "assets": {"type": "object"},
            "links": LINKS,
        },
    },
    "stac-itemCollection": feature_collection("stac-item"),
}
RECORDS_OWN = [
    query(
        "q",
        "Only records whose title, description or keywords hold one of these terms "
        "(comma-separated; case-insensitive; a term's words in that order).",
        STRINGS,
    ),
    query(
        "type",
        "Only records of one of these types (`series`: a product, `dataset`: a product year "
        "or a vector product, `result`: a published result), comma-separated.",
        {**STRINGS, "items": {"type": "string", "maxLength": 64}},
    ),
    query(
        "externalIds",
        "Only records with one of these external ids, comma-separated: `scheme:value`, "
        "`value` (any scheme) or `scheme:` (any value).",
        {**STRINGS, "items": {"type": "string", "pattern": EXTERNAL_ID.pattern}},
    ),
    query("ids", "Only the records with these ids, comma-separated.", STRINGS),
]
RECORDS_EQUALS = [  # the Features engine's property parameters, on the catalogue's columns
    query(name, f"Only records whose `{name}` equals this value.",
          dict(SCHEMA_TYPES[KINDS.get(name, "string")]))
    for name in RECORD_QUERYABLES
    if name not in (*OWN, RECORDS.geometry_column)
]  # fmt: skip


def _described(parameter: dict[str, Any], description: str) -> dict[str, Any]:
    return {**parameter, "description": description}


def records_parameters(context: Context) -> list[dict[str, Any]]:
    """``/items`` of the catalogue: every Features parameter (some without effect on
    whole records), the Records ones, and one equality parameter per simple queryable."""
    params = []
    for p in items_parameters(context, RECORDS, None):
        ignored = p["name"] in ("crs", "properties", "skipGeometry")
        params.append(_described(p, NOT_APPLIED) if ignored else p)
    return [*params, *RECORDS_OWN, *RECORDS_EQUALS]


def stac_parameters(context: Context, search: bool) -> list[dict[str, Any]]:
    """An item search by GET: the engine's parameters STAC keeps, ``token`` for the cursor,
    and on ``/stac/search`` the collections, ids and geometry to search."""
    common = {p["name"]: p for p in items_parameters(context, STAC_ITEMS, None)}
    limit = context.features.limit_max
    params = [
        _described(
            {
                **common["limit"],
                "schema": {"type": "integer", "minimum": 1},
            },  # clamped, not refused
            f"Items per page (larger values are served as {limit}); the `next` link pages on.",
        ),
        _described(
            common["bbox"],
            "Only items whose footprint intersects the box `minx,miny,maxx,maxy` (or six "
            "numbers with heights) in CRS84; minx > maxx crosses the antimeridian.",
        ),
        common["datetime"],
        common["filter"],
        common["filter-lang"],
        common["filter-crs"],
        _described(
            common["sortby"],
            "Sort keys, comma-separated: a queryable, `-name` for descending (`+name`, "
            "`properties.name` and `datetime` for `start_datetime` also work).",
        ),
        query("token", "Position of the page (opaque; from a `next` link).", STRING),
    ]
    if search:
        params += [
            query("collections", "Only items of these collections, comma-separated.", STRINGS),
            query("ids", "Only the items with these ids, comma-separated.", STRINGS),
            query(
                "intersects",
                "Only items whose footprint intersects this GeoJSON geometry (JSON text).",
                STRING,
            ),
        ]
    return params


def search_body(context: Context) -> dict[str, Any]:
    """The POST search: the GET parameters as JSON members (sort keys and lists as
    arrays, the filter CQL2 JSON unless ``filter-lang`` is ``cql2-text``)."""
    common = {p["name"]: p["schema"] for p in items_parameters(context, STAC_ITEMS, None)}
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "bbox": common["bbox"],
            "datetime": STRING,
            "limit": common["limit"],
            "filter": {"oneOf": [{"type": "object"}, STRING]},
            "filter-lang": {
                "type": "string",
                "enum": ["cql2-json", "cql2-text"],
                "default": "cql2-json",
            },
            "filter-crs": common["filter-crs"],
            "sortby": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field"],
                    "properties": {
                        "field": STRING,
                        "direction": {"type": "string", "enum": ["asc", "desc"]},
                    },
                },
            },
            "token": STRING,
            "collections": STRINGS,
            "ids": STRINGS,
            "intersects": {**GEOMETRY, "description": "A GeoJSON geometry."},
            "fields": {"type": "object", "description": "Accepted; every field is returned."},
        },
    }
    return {"required": False, "content": {JSON: {"schema": schema}}}


def records_paths(context: Context) -> dict[str, Any]:
    base, tags = f"/collections/{CATALOGUE}", [RECORDS_TAG]
    record = {GEOJSON: schema_ref("records-record"), HTML: STRING}
    schema = response("A JSON Schema.", {SCHEMA_JSON: {"type": "object"}, HTML: STRING})
    return {
        base: {
            "get": operation(
                "catalogue.getCollection",
                "The catalogue: a record collection",
                {
                    "200": json_and_html("The catalogue.", schema_ref("collection")),
                    "400": BAD_REQUEST,
                },
                [F_JSON_HTML],
                tags,
            )
        },
        f"{base}/items": {
            "get": operation(
                "catalogue.getRecords",
                "Search the catalogue's records",
                {
                    "200": response(
                        "A page of records.",
                        {GEOJSON: schema_ref("records-records"), HTML: STRING},
                        CONTENT_CRS,
                    ),
                    "400": BAD_REQUEST,
                    "503": UNAVAILABLE,
                },
                records_parameters(context),
                tags,
            )
        },
        f"{base}/items/{{recordId}}": {
            "get": operation(
                "catalogue.getRecord",
                "One record",
                {
                    "200": response("The record.", record),
                    "400": BAD_REQUEST,
                    "404": error("No such record (or not one you may see)."),
                    "503": UNAVAILABLE,
                },
                [path_param("recordId", "The record's id."), F_FEATURES],
                tags,
            )
        },
        **{
            f"{base}/{name}": {
                "get": operation(
                    f"catalogue.get{name.title()}",
                    summary,
                    {"200": schema, "400": BAD_REQUEST, "503": UNAVAILABLE},
                    [F_JSON_HTML],
                    tags,
                )
            }
            for name, summary in (
                ("queryables", "The properties a record filter may use (JSON Schema)"),
                ("sortables", "The properties records may be sorted by (JSON Schema)"),
            )
        },
    }


def stac_paths(context: Context) -> dict[str, Any]:
    tags = [STAC_TAG]
    items = response("A page of items.", {GEOJSON: schema_ref("stac-itemCollection")})
    search = {"200": items, "400": BAD_REQUEST, "503": UNAVAILABLE}
    collection = path_param("collectionId", "A STAC collection (a product, or `results`).")
    hidden = error("No such STAC collection (or not one you may see).")

    def get(op_id: str, summary: str, responses: dict, params: list | None = None) -> dict:
        answers = {"400": BAD_REQUEST, **responses}  # unknown parameters are refused
        return {"get": operation(f"stac.{op_id}", summary, answers, params, tags)}

    def document(name: str) -> dict[str, Any]:
        return response("The document.", {JSON: schema_ref(name)})

    return {
        "/stac": get(
            "getLandingPage",
            "STAC API landing page: a catalog of the collections",
            {"200": document("stac-catalog"), "503": UNAVAILABLE},
        ),
        "/stac/conformance": get(
            "getConformance", "STAC API conformance classes", {"200": document("confClasses")}
        ),
        "/stac/collections": get(
            "getCollections",
            "The STAC collections you may see",
            {"200": document("stac-collections"), "503": UNAVAILABLE},
        ),
        "/stac/collections/{collectionId}": get(
            "getCollection",
            "One STAC collection",
            {"200": document("stac-collection"), "404": hidden, "503": UNAVAILABLE},
            [collection],
        ),
        "/stac/collections/{collectionId}/items": get(
            "getItems",
            "The items of a STAC collection",
            {**search, "404": hidden},
            [collection, *stac_parameters(context, search=False)],
        ),
        "/stac/collections/{collectionId}/items/{itemId}": get(
            "getItem",
            "One STAC item",
            {
                "200": response("The item.", {GEOJSON: schema_ref("stac-item")}),
                "404": error("No such item in this collection (or not one you may see)."),
                "503": UNAVAILABLE,
            },
            [collection, path_param("itemId", "The item's id.")],
        ),
        "/stac/search": {
            **get("getSearch", "Item search", search, stac_parameters(context, search=True)),
            "post": operation(
                "stac.postSearch",
                "Item search with a JSON body (the `next` link repeats it with a `token`)",
                search,
                tags=tags,
                requestBody=search_body(context),
            ),
        },
        "/stac/queryables": get(
            "getQueryables",
            "The properties an item filter may use (JSON Schema)",
            {
                "200": response("The queryables.", {SCHEMA_JSON: {"type": "object"}}),
                "503": UNAVAILABLE,
            },
        ),
    }


def download_paths(context: Context) -> dict[str, Any]:
    """Each year's COG of each coverage collection, for remote readers (GDAL ``/vsicurl/``)."""
    validator = {"ETag": {"description": "Strong validator of the file.", "schema": STRING}}
    headers = {
        **validator,
        "Last-Modified": {"description": "When the file was written.", "schema": STRING},
        "Accept-Ranges": {"description": "`bytes`.", "schema": STRING},
        "Content-Length": {"description": "Bytes in the answer.", "schema": {"type": "integer"}},
    }
    ranged = {
        **headers,
        "Content-Range": {"description": "`bytes first-last/size`.", "schema": STRING},
    }
    parameters = [
        path_param("year", "A year of the product.", {"type": "integer", "minimum": 0}),
        header("Range", "Only these bytes: one range, `bytes=first-last`, `first-` or `-n`."),
        header("If-Range", "Honour `Range` only while the file has this `ETag` or date."),
        header("If-None-Match", "304 while the file has this `ETag`."),
        header("If-Modified-Since", "304 while the file has not changed since."),
    ]
    paths = {}
    for pid, product in context.products.raster.items():
        paths[f"/collections/{pid}/cog/{{year}}.tif"] = {
            "get": operation(
                f"{pid}.getCog",
                f"{product.title}: a year's Cloud Optimized GeoTIFF",
                {
                    "200": response("The file.", {GEOTIFF: BINARY}, headers),
                    "206": response("The bytes of `Range`.", {GEOTIFF: BINARY}, ranged),
                    "304": response("Not modified.", headers=validator),
                    "400": BAD_REQUEST,
                    "404": error("No such coverage collection, or no COG of that year."),
                    "416": error("`Range` is not one byte range within the file."),
                },
                parameters,
                [pid],
            )
        }
    return paths


def describe(context: Context) -> Fragment:
    """The Records, STAC and download routes (served whether or not products exist)."""
    return {
        "paths": {**records_paths(context), **stac_paths(context), **download_paths(context)},
        "components": {"schemas": SCHEMAS},
        "tags": [
            {"name": RECORDS_TAG, "description": "OGC API - Records: the catalogue"},
            {"name": STAC_TAG, "description": "STAC API 1.0 over the same catalogue"},
        ],
    }
