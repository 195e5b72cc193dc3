"""A JSON schema said in words, for the input tables of process pages.

The process form builds its controls from the same schemas (``assets/src/pages/form.js``);
this is the static description beside it, readable without JavaScript.
"""

from __future__ import annotations

from typing import Any

GEOMETRY_TYPES = {"Polygon", "MultiPolygon", "Point", "LineString", "MultiPoint"}


def describe(schema: dict[str, Any]) -> str:
    """e.g. ``integer from 1900 to 2100``, ``one of: centre, fraction``,
    ``GeoJSON FeatureCollection, or object {collection, filter, filter-lang}``."""
    if not isinstance(schema, dict) or not schema:
        return "any value"
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return ", or ".join(describe(s) for s in schema[key])
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return f"exactly {schema['const']}"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind in ("integer", "number"):
        return _bounded(kind, schema)
    if kind == "string":
        return _string(schema)
    if kind == "array":
        items = describe(schema.get("items", {}))
        count = _count(schema.get("minItems"), schema.get("maxItems"))
        return f"array of {count}{items}"
    if kind == "object" or "properties" in schema:
        return _object(schema)
    return str(kind or "any value")


def _bounded(kind: str, schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{kind} from {low} to {high}"
    if low is not None:
        return f"{kind} >= {low}"
    if high is not None:
        return f"{kind} <= {high}"
    return kind


def _string(schema: dict[str, Any]) -> str:
    media = schema.get("contentMediaType")
    if media:
        return f"file ({media})" if schema.get("contentEncoding") == "binary" else media
    if "pattern" in schema:
        return f"string matching {schema['pattern']}"
    if "maxLength" in schema:
        return f"text of at most {schema['maxLength']} characters"
    return "text"


def _count(low: int | None, high: int | None) -> str:
    if low is not None and low == high:
        return f"{low} "
    return ""


def _object(schema: dict[str, Any]) -> str:
    props: dict[str, Any] = schema.get("properties", {})
    type_enum = props.get("type", {}).get("enum") or []
    if set(type_enum) & GEOMETRY_TYPES:
        return "GeoJSON geometry (" + "/".join(type_enum) + ")"
    if (
        type_enum == ["FeatureCollection"]
        or props.get("type", {}).get("const") == "FeatureCollection"
    ):
        return "GeoJSON FeatureCollection"
    if "bbox" in props:
        return "bounding box {bbox: [minx, miny, maxx, maxy], crs}"
    if schema.get("contentMediaType"):
        return str(schema["contentMediaType"])
    if props:
        return "object {" + ", ".join(props) + "}"
    return "object"
