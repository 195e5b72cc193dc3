"""OGC API - Features Parts 1-4 for each vector product, as ``landgrid.web.features`` serves
them: items (every parameter ``landgrid.features.params`` accepts, with the collection's
CRS list, ``datetime`` where it has a time column, the CQL2 parameters and one equality
parameter per queryable of a simple type), an item, queryables, and the transactions of an
editable product. Queryables need the table's columns: while they cannot be read (the
database is down) they are left out, and the document is rebuilt once they can.
"""

from __future__ import annotations

from typing import Any

from landgrid.features.params import query_parameters
from landgrid.features.product import VectorProduct
from landgrid.features.store import SCHEMA_TYPES
from landgrid.features.table import TableInfo
from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    GEOJSON,
    HTML,
    JSON,
    LINKS,
    NOT_FOUND,
    SCHEMA_JSON,
    STRING,
    UNAVAILABLE,
    Context,
    Fragment,
    fmt,
    header,
    operation,
    path_param,
    query,
    response,
    schema_ref,
)

CQL2_JSON = ("application/query-cql-json", "application/cql2+json", JSON)
CQL2_TEXT = ("application/cql2-text", "text/plain")
NUMBER = {"type": "number"}
GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type"],
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
            ],
        },
        "coordinates": {"type": "array", "items": {}},
        "geometries": {"type": "array", "items": {"type": "object"}},
    },
}
SCHEMAS: dict[str, Any] = {
    "geometryGeoJSON": GEOMETRY,
    "featureGeoJSON": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [STRING, {"type": "integer"}]},
            "geometry": schema_ref("geometryGeoJSON"),
            "properties": {"type": "object", "nullable": True},
            "links": LINKS,
        },
    },
    "featureCollectionGeoJSON": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": schema_ref("featureGeoJSON")},
            "links": LINKS,
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "timeStamp": {"type": "string", "format": "date-time"},
        },
    },
}
CONTENT_CRS = {
    "Content-Crs": {
        "description": "The CRS of the coordinates in the response, `<URI>`.",
        "schema": STRING,
    }
}
F_FEATURES = fmt("json", "geojson", "html")
NEXT_LINKS = "Pages follow the `next`/`prev` links (keyset cursors)."


def crs_parameter(name: str, description: str, product: VectorProduct) -> dict[str, Any]:
    crs = list(dict.fromkeys([*product.crs, product.storage_crs]))
    return query(
        name,
        f"{description} One of the collection's CRS URIs (also as `EPSG:n` or a safe CURIE "
        "`[EPSG:n]`); CRS84 when absent.",
        {"type": "string", "format": "uri", "enum": crs},
    )


def items_parameters(context: Context, product: VectorProduct, info: TableInfo | None) -> list:
    fs = context.features
    params = [
        F_FEATURES,
        query(
            "limit",
            f"Features per page (larger values are served as {fs.limit_max}). {NEXT_LINKS}",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": fs.limit_max,
                "default": fs.limit_default,
            },
        ),
        query(
            "bbox",
            "Only features whose geometry intersects the box `minx,miny,maxx,maxy` (or six "
            "numbers with heights) in `bbox-crs`; a CRS84 box with minx > maxx crosses the "
            "antimeridian.",
            {
                "type": "array",
                "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
                "items": NUMBER,
            },
        ),
        crs_parameter("bbox-crs", "The CRS of `bbox`.", product),
        crs_parameter("crs", "The CRS of the response's coordinates.", product),
    ]
    if product.time_column:
        params.append(
            query(
                "datetime",
                f"Only features whose time (`{product.time_column}`"
                + (f" to `{product.time_end_column}`" if product.time_end_column else "")
                + ") meets this instant or interval (RFC 3339, `..` for an open end); "
                "features without a time always match.",
                STRING,
            )
        )
    params += [
        query(
            "filter",
            "A CQL2 expression (text, or JSON with `filter-lang=cql2-json`); property "
            "names are the queryables.",
            STRING,
        ),
        query(
            "filter-lang",
            "The language of `filter`.",
            {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
        ),
        crs_parameter("filter-crs", "The CRS of the geometries in `filter`.", product),
        query(
            "sortby",
            "Sort keys, comma-separated: a property name, `-name` for descending.",
            {"type": "array", "items": STRING},
        ),
        query(
            "properties",
            "Only these properties in each feature, comma-separated.",
            {"type": "array", "items": STRING},
        ),
        query(
            "skipGeometry",
            "Leave the geometries out.",
            {"type": "boolean", "default": False},
        ),
        query(
            "count",
            "`numberMatched`: `true` always counts; by default the unfiltered first page "
            f"has it when the collection holds at most {context.features.count_bound} "
            f"features, counted within {context.features.count_budget_ms} ms, and any "
            "first page that is the whole result; `false`: only the latter.",
            {"type": "boolean"},
        ),
        query("offset", "Skip this many features first.", {"type": "integer", "minimum": 0}),
        query("cursor", "Position of the page (opaque; from a `next`/`prev` link).", STRING),
    ]
    params += queryable_parameters(info)
    return params


def queryable_parameters(info: TableInfo | None) -> list[dict[str, Any]]:
    """One equality parameter per queryable with a simple value (Features Part 3)."""
    if info is None:
        return []
    return [
        query(
            name,
            f"Only features whose `{name}` equals this value.",
            dict(SCHEMA_TYPES[info.columns[name].kind]),
        )
        for name in query_parameters(info)
    ]


def _geojson_body(description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {GEOJSON: {"schema": schema_ref("featureGeoJSON")}},
    }


def _filter_body(editable: bool) -> dict[str, Any]:
    media = {m: {"schema": {"type": "object"}} for m in CQL2_JSON}
    media.update({m: {"schema": STRING} for m in CQL2_TEXT})
    if editable:
        media[GEOJSON] = {"schema": schema_ref("featureGeoJSON")}
    return {
        "required": True,
        "description": "A CQL2 filter (CQL2 JSON, or text): a search answered like GET"
        + (
            "; or a GeoJSON feature (`application/geo+json`) to add to the collection"
            if editable
            else ""
        )
        + ".",
        "content": media,
    }


def describe_collection(
    context: Context, product: VectorProduct, info: TableInfo | None
) -> dict[str, Any]:
    pid, tags = product.id, [product.id]
    base = f"/collections/{pid}"
    page = response(
        "A page of features.",
        {GEOJSON: schema_ref("featureCollectionGeoJSON"), HTML: STRING},
        CONTENT_CRS,
    )
    items_responses = {
        "200": page,
        "400": BAD_REQUEST,
        "404": NOT_FOUND,
        "503": UNAVAILABLE,
    }
    search = {
        **items_responses,
        "200": response("A page of features.", {GEOJSON: schema_ref("featureCollectionGeoJSON")}),
    }
    if product.editable:
        search["201"] = response(
            "The feature was added; `Location` is its URL.",
            headers={"Location": {"schema": STRING, "description": "the new feature"}},
        )
    feature_id = path_param("featureId", "The feature's id.")
    paths: dict[str, Any] = {
        f"{base}/items": {
            "get": operation(
                f"{pid}.getFeatures",
                f"{product.title}: features",
                items_responses,
                items_parameters(context, product, info),
                tags,
            ),
            "post": operation(
                f"{pid}.searchFeatures" if not product.editable else f"{pid}.postFeatures",
                f"{product.title}: search with a CQL2 body"
                + (", or add a feature" if product.editable else ""),
                search,
                [p for p in items_parameters(context, product, info) if p["name"] != "filter"]
                + (
                    [header("Content-Crs", "CRS of the new feature, `<URI>`.")]
                    if product.editable
                    else []
                ),
                tags,
                requestBody=_filter_body(product.editable),
            ),
        },
        f"{base}/items/{{featureId}}": {
            "get": operation(
                f"{pid}.getFeature",
                f"{product.title}: one feature",
                {
                    "200": response(
                        "The feature.",
                        {GEOJSON: schema_ref("featureGeoJSON"), HTML: STRING},
                        CONTENT_CRS,
                    ),
                    "400": BAD_REQUEST,
                    "404": NOT_FOUND,
                    "503": UNAVAILABLE,
                },
                [
                    feature_id,
                    F_FEATURES,
                    crs_parameter("crs", "The CRS of the response's coordinates.", product),
                ],
                tags,
            )
        },
        f"{base}/queryables": {
            "get": operation(
                f"{pid}.getQueryables",
                f"{product.title}: the properties a filter may use (JSON Schema)",
                {
                    "200": response(
                        "The queryables.", {SCHEMA_JSON: {"type": "object"}, HTML: STRING}
                    ),
                    "400": BAD_REQUEST,
                    "404": NOT_FOUND,
                    "503": UNAVAILABLE,
                },
                [fmt("json", "html")],
                tags,
            )
        },
    }
    if product.editable:
        done = response("Done.")
        edit = {"204": done, "400": BAD_REQUEST, "404": NOT_FOUND, "503": UNAVAILABLE}
        crs = header("Content-Crs", "CRS of the geometry sent, `<URI>`; CRS84 when absent.")
        item = paths[f"{base}/items/{{featureId}}"]
        item["put"] = operation(
            f"{pid}.replaceFeature",
            f"{product.title}: replace a feature",
            edit,
            [feature_id, crs],
            tags,
            requestBody=_geojson_body("The feature's new content."),
        )
        item["patch"] = operation(
            f"{pid}.updateFeature",
            f"{product.title}: change some properties or the geometry of a feature",
            edit,
            [feature_id, crs],
            tags,
            requestBody={
                "required": True,
                "description": "A partial feature: the members and properties to change.",
                "content": {
                    m: {"schema": {"type": "object"}}
                    for m in (GEOJSON, JSON, "application/merge-patch+json")
                },
            },
        )
        item["delete"] = operation(
            f"{pid}.deleteFeature",
            f"{product.title}: delete a feature",
            edit,
            [feature_id],
            tags,
        )
        allowed = response(
            "The methods allowed here now, in `Allow`.",
            headers={"Allow": {"schema": STRING, "description": "e.g. `GET, PUT, DELETE`"}},
        )
        item["options"] = operation(
            f"{pid}.featureOptions",
            "What may be done to a feature",
            {"200": allowed},
            [feature_id],
            tags,
        )
        paths[f"{base}/items"]["options"] = operation(
            f"{pid}.featuresOptions", "What may be done to the features", {"200": allowed}, [], tags
        )
    return paths


def describe(context: Context) -> Fragment:
    paths: dict[str, Any] = {}
    for pid, product in context.products.vector.items():
        paths.update(describe_collection(context, product, context.tables.get(pid)))
    return {"paths": paths, "components": {"schemas": SCHEMAS}} if paths else {}
