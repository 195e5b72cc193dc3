"""OGC API - Common Part 2: ``/collections`` and each collection the caller may read, as
``landgrid.web.collections`` serves them (a coverage's ``/schema`` too)."""

from __future__ import annotations

from typing import Any

from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    F_JSON_HTML,
    HTML,
    LINKS,
    NOT_FOUND,
    SCHEMA_JSON,
    STRING,
    Context,
    Fragment,
    fmt,
    json_and_html,
    operation,
    query,
    response,
    schema_ref,
)

NUMBERS = {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}
GRID_AXIS = {
    "type": "object",
    "properties": {
        "cellsCount": {"type": "integer"},
        "resolution": {"oneOf": [{"type": "number"}, STRING]},
        "firstCoordinate": {"oneOf": [{"type": "number"}, STRING]},
        "coordinates": {"type": "array", "items": {"oneOf": [{"type": "number"}, STRING]}},
        "boundsCoordinates": {"type": "array", "items": {"type": "array", "items": STRING}},
    },
}
SCHEMAS: dict[str, Any] = {
    "extent": {
        "type": "object",
        "properties": {
            "spatial": {
                "type": "object",
                "properties": {
                    "bbox": {"type": "array", "minItems": 1, "items": NUMBERS},
                    "crs": STRING,
                    "storageCrsBbox": {"type": "array", "minItems": 1, "items": NUMBERS},
                    "grid": {"type": "array", "minItems": 2, "maxItems": 3, "items": GRID_AXIS},
                },
            },
            "temporal": {
                "type": "object",
                "properties": {
                    "interval": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "items": {"type": "string", "format": "date-time", "nullable": True},
                        },
                    },
                    "trs": STRING,
                    "grid": GRID_AXIS,
                },
            },
        },
    },
    "collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": STRING,
            "title": STRING,
            "description": STRING,
            "keywords": {"type": "array", "items": STRING},
            "links": LINKS,
            "extent": schema_ref("extent"),
            "itemType": STRING,
            "layerDataType": STRING,
            "crs": {"type": "array", "items": STRING},
            "storageCrs": STRING,
        },
    },
    "collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": LINKS,
            "collections": {"type": "array", "items": schema_ref("collection")},
        },
    },
}
DATETIME = query(
    "datetime",
    "The year(s) the collection's coverage links select (an instant or an interval, as "
    "for the coverage): GDAL's OGCAPI driver follows those links, so "
    "`OGCAPI:<collection URL>?datetime=2018` opens that year.",
    STRING,
)


def describe(context: Context) -> Fragment:
    products = context.products
    paths: dict[str, Any] = {
        "/collections": {
            "get": operation(
                "getCollections",
                "The collections you may read",
                {
                    "200": json_and_html("The collections.", schema_ref("collections")),
                    "400": BAD_REQUEST,
                },
                [F_JSON_HTML],
                ["collections"],
            )
        }
    }
    for pid, product in {**products.raster, **products.vector}.items():
        raster = pid in products.raster
        paths[f"/collections/{pid}"] = {
            "get": operation(
                f"{pid}.getCollection",
                f"{product.title}: the collection",
                {
                    "200": json_and_html("The collection.", schema_ref("collection")),
                    "400": BAD_REQUEST,
                    "404": NOT_FOUND,
                },
                [F_JSON_HTML, DATETIME] if raster else [F_JSON_HTML],
                [pid],
            )
        }
        if raster:
            paths[f"/collections/{pid}/schema"] = {
                "get": operation(
                    f"{pid}.getSchema",
                    f"{product.title}: the range (its land-cover classes) as JSON Schema",
                    {
                        "200": response(
                            "The logical schema of the coverage's fields.",
                            {SCHEMA_JSON: {"type": "object"}, HTML: STRING},
                        ),
                        "400": BAD_REQUEST,
                        "404": NOT_FOUND,
                    },
                    [fmt("json", "html")],
                    [pid],
                )
            }
    tags = [{"name": "collections"}] + [
        {"name": pid, "description": p.title}
        for pid, p in {**products.raster, **products.vector}.items()
    ]
    return {"paths": paths, "components": {"schemas": SCHEMAS}, "tags": tags}
