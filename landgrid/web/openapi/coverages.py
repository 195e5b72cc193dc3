"""The coverage routes in the OpenAPI document, as they really are.

pygeoapi describes ``/collections/{id}/coverage`` with ``f``, ``bbox``, ``bbox-crs``,
``subset`` and ``properties`` only, through ``$ref``s to remote OGC schemas that offline
clients cannot follow, and a Features response. ``describe_coverages`` replaces that
operation, for each raster product, with every parameter our routes accept (rc2 and the
2022-draft forms), the media types they answer with and their ``Content-*`` headers, all
self-contained (local ``#/components`` references only); it adds the legacy
domainset/rangetype paths beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from landgrid.coverage.describe import FORMATS
from landgrid.coverage.plan import FIELD
from landgrid.raster.product import RasterProduct

PREFIX = "coverage-"  # our names in components/parameters, beside pygeoapi's
HTML = "text/html"


def _param(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **extra,
    }


_STRING = {"type": "string"}
_AXES = "Axis names: the product CRS's (`X`/`E`/`x`, `Y`/`N`/`y`), `Lon`/`Lat` (CRS84)."
PARAMETERS: dict[str, dict] = {
    "subset": _param(
        "subset",
        "Trim (`Axis(low:high)`, `*` for an open end) or slice (`Axis(value)`) along axes, "
        f"comma-separated or repeated. {_AXES} `time` takes years or ISO 8601 instants.",
        {"type": "array", "items": _STRING},
        style="form",
        explode=False,
        example=["X(4300000:4301000)", "Y(2690000:2691000)"],
    ),
    "subset-crs": _param(
        "subset-crs", "CRS (URI or `EPSG:n`) of the spatial subset values.", _STRING
    ),
    "bbox": _param(
        "bbox",
        "Spatial extent `minx,miny,maxx,maxy` in `bbox-crs` (CRS84 by default).",
        {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
        style="form",
        explode=False,
    ),
    "bbox-crs": _param("bbox-crs", "CRS (URI or `EPSG:n`) of `bbox`.", _STRING),
    "datetime": _param(
        "datetime",
        "A year, an instant or an interval (`a/b`, `..` for an open end); the newest year "
        "when absent.",
        _STRING,
    ),
    "properties": _param(
        "properties",
        "Range fields to return (this product has one).",
        {"type": "array", "items": {"type": "string", "enum": [FIELD]}},
        style="form",
        explode=False,
    ),
    "crs": _param(
        "crs",
        "Output CRS (URI or `EPSG:n`); classes are kept by nearest-neighbour reprojection.",
        _STRING,
    ),
    "resolution": _param(
        "resolution",
        "Output cell size in output CRS units: `10`, `10,20` (x, y) or `X(10),Y(20)`.",
        _STRING,
    ),
    "width": _param("width", "Output columns.", {"type": "integer", "minimum": 1}),
    "height": _param("height", "Output rows.", {"type": "integer", "minimum": 1}),
    "scale-size": _param(
        "scale-size",
        f"2022 draft (also `scaleSize`): output cells per axis, `Axis(n),Axis(n)`. {_AXES}",
        _STRING,
    ),
    "scale-factor": _param(
        "scale-factor",
        "2022 draft (also `scaleFactor`): divide the number of cells per axis by this.",
        {"type": "number", "exclusiveMinimum": True, "minimum": 0},
    ),
    "scale-axes": _param(
        "scale-axes",
        "2022 draft (also `scaleAxes`): a scale factor per axis, `Axis(f),Axis(f)`.",
        _STRING,
    ),
    "f": _param(
        "f",
        "Output format; by `Accept` when absent (GeoTIFF for `*/*`). Aliases: `tiff`, "
        "`geotiff`, `cog`, `netcdf`, `coveragejson`, `json`.",
        {"type": "string", "enum": [*FORMATS, "html"]},
    ),
}
HEADERS = {
    "Content-Crs": "CRS of the response, `<URI>`.",
    "Content-Bbox": "Extent of the response in its CRS, `minx,miny,maxx,maxy`.",
    "Content-Datetime": "Time interval of the years in the response.",
}


def _exception(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
    }


EXCEPTION_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


def _coverage_operation(product: RasterProduct) -> dict:
    binary = {"type": "string", "format": "binary"}
    content = {media: {"schema": binary} for media in FORMATS.values()}
    content[FORMATS["covjson"]] = {"schema": {"type": "object"}}
    content[HTML] = {"schema": _STRING}
    return {
        "summary": f"Get {product.title} coverage",
        "description": f"{product.description.strip()}\n\nAt most the configured number of "
        "pixels (width x height x years) per response; bigger areas through the `extract` "
        "process.",
        "tags": [product.id],
        "operationId": f"get{product.id.capitalize()}Coverage",
        "parameters": [{"$ref": f"#/components/parameters/{PREFIX}{n}"} for n in PARAMETERS],
        "responses": {
            "200": {
                "description": "The coverage (HTML: a preview with the legend).",
                "headers": {
                    name: {"description": text, "schema": _STRING} for name, text in HEADERS.items()
                },
                "content": content,
            },
            "400": _exception("A parameter is invalid, or the response would be too large."),
            "404": _exception("No such coverage."),
            "406": _exception("None of the media types in `Accept` is offered."),
            "500": _exception("Server error."),
        },
    }


def _legacy_operation(product: RasterProduct, what: str) -> dict:
    return {
        "summary": f"{product.title}: {what} (OGC API - Coverages 2022 draft)",
        "tags": [product.id],
        "operationId": f"get{product.id.capitalize()}Coverage{what.capitalize()}",
        "responses": {
            "200": {
                "description": f"The coverage's {what}.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "404": _exception("No such coverage."),
        },
    }


def describe_coverages(
    document: dict[str, Any], products: Mapping[str, RasterProduct]
) -> dict[str, Any]:
    """``document`` with the coverage operations of the products it lists (in place)."""
    paths = document.setdefault("paths", {})
    listed = [p for pid, p in products.items() if f"/collections/{pid}/coverage" in paths]
    if not listed:
        return document
    components = document.setdefault("components", {})
    components.setdefault("parameters", {}).update(
        {f"{PREFIX}{name}": spec for name, spec in PARAMETERS.items()}
    )
    components.setdefault("schemas", {}).setdefault("exception", EXCEPTION_SCHEMA)
    for product in listed:
        base = f"/collections/{product.id}/coverage"
        paths[base] = {"get": _coverage_operation(product)}
        for what in ("domainset", "rangetype"):
            paths[f"{base}/{what}"] = {"get": _legacy_operation(product, what)}
    return document
