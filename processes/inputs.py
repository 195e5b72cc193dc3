"""JSON schemas of the inputs the land-cover processes share, as their descriptions show.

They are the first check of an execute request (``landgrid.jobs.request``); the semantic
checks (does the product exist, is the AOI inside it) are the processors' ``validate``.
"""

from __future__ import annotations

from typing import Any

from landgrid.analysis.aoi import POLYGONAL
from landgrid.crs import CRS84_URI

PRODUCT_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}
YEAR_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1900, "maximum": 2100}
PRODUCT_INPUT: dict[str, Any] = {
    "title": "Raster product id",
    "minOccurs": 1,
    "maxOccurs": 1,
    "schema": PRODUCT_SCHEMA,
}


def year_input(title: str, max_occurs: int = 1) -> dict[str, Any]:
    """A year input of a process description (``max_occurs`` > 1: one or more years)."""
    return {"title": title, "minOccurs": 1, "maxOccurs": max_occurs, "schema": YEAR_SCHEMA}


GEOMETRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {"type": {"enum": list(POLYGONAL)}, "coordinates": {"type": "array"}},
}
BBOX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["bbox"],
    "properties": {
        "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "crs": {"type": "string"},
    },
}
AOI_SCHEMA: dict[str, Any] = {"oneOf": [BBOX_SCHEMA, GEOMETRY_SCHEMA]}
CRS_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "default": CRS84_URI}

AOI_INPUTS: dict[str, Any] = {
    "aoi": {
        "title": "Area of interest",
        "description": "A GeoJSON Polygon/MultiPolygon (in `aoiCrs`), or an OGC bbox object "
        '`{"bbox": [minx, miny, maxx, maxy], "crs": "..."}`. Coordinates are x/lon first. '
        "Its area, measured in equal-area EPSG:6933, is limited (server setting "
        "LANDGRID_AOI_MAX_KM2).",
        "minOccurs": 1,
        "maxOccurs": 1,
        "schema": AOI_SCHEMA,
    },
    "aoiCrs": {
        "title": "CRS of the AOI geometry",
        "description": "OGC CRS URI or EPSG:n; CRS84 (lon/lat) by default.",
        "minOccurs": 0,
        "maxOccurs": 1,
        "schema": CRS_SCHEMA,
    },
}
INLINE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"enum": ["FeatureCollection"]},
        "features": {"type": "array", "minItems": 1},
    },
}
REFERENCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["collection"],
    "properties": {
        "collection": {"type": "string", "minLength": 1},
        "filter": {"oneOf": [{"type": "string"}, {"type": "object"}]},
        "filter-lang": {"enum": ["cql2-text", "cql2-json"]},
    },
    "additionalProperties": False,
}
ZONES_SCHEMA: dict[str, Any] = {"oneOf": [INLINE_SCHEMA, REFERENCE_SCHEMA]}
