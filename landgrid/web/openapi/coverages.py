"""OGC API - Coverages for each raster product, as ``landgrid.web.coverages`` serves it.

Every parameter the route accepts (rc2's and the 2022-draft forms GDAL and OWSLib send),
the media types it answers with, its ``Content-*`` headers, byte ranges of the GeoTIFF, and
the legacy domainset/rangetype. The coverage operation's id ends in ``.getCoverage``
(``/req/api-operations/operation-id``).
"""

from __future__ import annotations

from typing import Any

from landgrid.coverage.describe import FORMATS, PRS_COVJSON
from landgrid.coverage.plan import FIELD
from landgrid.raster.product import RasterProduct
from landgrid.web.coverages import F_ALIASES
from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    HTML,
    JSON,
    NOT_FOUND,
    STRING,
    Context,
    Fragment,
    error,
    fmt,
    header,
    operation,
    query,
    response,
)

_AXES = (
    "Axis names: `Lon`/`Lat` (CRS84, the default `subset-crs`), `E`/`N` (also `X`/`Y`, `x`/`y`: "
    "the product CRS unless `subset-crs` says otherwise) and `time`."
)
_CRS = (
    "a CRS URI (`http://www.opengis.net/def/crs/EPSG/0/3035`), a safe CURIE (`[EPSG:3035]`) or "
    "`EPSG:n`"
)
_AXIS_ORDER = (
    "in the CRS's own axis order (northing first for EPSG:3035, latitude first for EPSG:4326)"
)
PARAMETERS: dict[str, dict] = {
    "subset": query(
        "subset",
        "Trim (`Axis(low:high)`, `*` for an open end) or slice (`Axis(value)`) along axes, "
        f"comma-separated or repeated. {_AXES} `time` takes years or RFC 3339 instants "
        "(quoted or not); `time(*)` is the newest year. A subset wholly outside the "
        "coverage answers 404.",
        {"type": "array", "items": STRING},
        example=["E(4300000:4301000)", "N(2690000:2691000)"],
    ),
    "subset-crs": query(
        "subset-crs",
        f"The CRS of the spatial subset values: {_CRS}; CRS84 when absent (for `Lon`/`Lat`; "
        "`E`/`N` are then read in the product's CRS).",
        STRING,
    ),
    "bbox": query(
        "bbox",
        f"Spatial extent: four numbers (six with heights, ignored) {_AXIS_ORDER} of `bbox-crs` "
        "(CRS84 longitude/latitude by default; west > east crosses the antimeridian). Not "
        "with a spatial `subset`.",
        {
            "type": "array",
            "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
            "items": {"type": "number"},
        },
    ),
    "bbox-crs": query("bbox-crs", f"The CRS of `bbox`: {_CRS}.", STRING),
    "datetime": query(
        "datetime",
        "A year, an RFC 3339 instant or an interval (`a/b`, `..` or empty for an open end): "
        "the years it meets; the newest year when absent. Not with `subset=time(...)`.",
        STRING,
    ),
    "properties": query(
        "properties",
        "The range fields to return (this product has one).",
        {"type": "array", "items": {"type": "string", "enum": [FIELD]}},
    ),
    "exclude-properties": query(
        "exclude-properties",
        "The range fields not to return (empty: none excluded). Not with `properties`.",
        {"type": "array", "items": {"type": "string", "enum": [FIELD]}},
    ),
    "crs": query(
        "crs",
        f"The output CRS: {_CRS}; the product's CRS when absent (CRS84 for a `Lon`/`Lat` "
        "subset). Classes are kept by nearest-neighbour reprojection.",
        STRING,
    ),
    "resolution": query(
        "resolution",
        "Output cell size in output CRS units: `E(10),N(10)` (also `Lon()`/`Lat()`, `X`/`Y`), "
        "`10` or `10,20` (x, y); an empty value (`resolution=`, `E()`) is the native "
        "resolution. Not on an axis that a subset slices.",
        STRING,
    ),
    "width": query("width", "Output columns.", {"type": "integer", "minimum": 1}),
    "height": query("height", "Output rows.", {"type": "integer", "minimum": 1}),
}
for _name, _camel, _text, _schema in (
    ("scale-size", "scaleSize", "output cells per axis, `Axis(n),Axis(n)`", STRING),
    (
        "scale-factor",
        "scaleFactor",
        "divide the number of cells per axis by this",
        {"type": "number", "exclusiveMinimum": True, "minimum": 0},
    ),
    ("scale-axes", "scaleAxes", "a scale factor per axis, `Axis(f),Axis(f)`", STRING),
):
    for _key in (_name, _camel):
        PARAMETERS[_key] = query(_key, f"2022 draft ({_name} or {_camel}): {_text}.", _schema)
PARAMETERS["f"] = query(
    "f",
    "Output format; by `Accept` when absent (GeoTIFF, a COG, for `*/*`).",
    {"type": "string", "enum": list(F_ALIASES)},
)
RANGE = header("Range", "Bytes of the GeoTIFF to send (`bytes=0-16383`): a 206 answer.")
HEADERS = {
    "Content-Crs": "CRS of the response, `<URI>`.",
    "Content-Bbox": "Extent of the response in its CRS, `minx,miny,maxx,maxy`.",
    "Content-Datetime": "Time interval of the years in the response.",
}


CONTENT_PROFILE = "http://www.opengis.net/def/profile/geotiff/cloud-optimized"


def _coverage_operation(product: RasterProduct) -> dict:
    binary = {"type": "string", "format": "binary"}
    content: dict[str, Any] = {media: binary for media in FORMATS.values()}
    content[FORMATS["covjson"]] = {"type": "object"}
    content[PRS_COVJSON] = {"type": "object"}
    content[HTML] = STRING
    headers = {name: {"description": text, "schema": STRING} for name, text in HEADERS.items()}
    ranged = {
        "Content-Range": {"description": "The bytes sent (GeoTIFF).", "schema": STRING},
        **headers,
    }
    return operation(
        f"{product.id}.getCoverage",
        f"{product.title}: the coverage",
        {
            "200": response("The coverage (HTML: a preview with the legend).", content, headers),
            "206": response(
                "The requested byte range of the GeoTIFF (a COG: GDAL's /vsicurl/ reads it "
                "by ranges).",
                {FORMATS["tif"]: binary},
                ranged,
            ),
            "400": BAD_REQUEST,
            "404": error(
                "No such coverage, or the subset lies wholly outside its extent or years."
            ),
            "406": error("None of the media types in `Accept` is offered."),
            "416": error(
                "The byte range lies beyond the GeoTIFF (`Content-Range: bytes */length`); "
                "a `Range` other than one byte range is ignored."
            ),
        },
        [*PARAMETERS.values(), RANGE],
        [product.id],
        description=product.description.strip(),
    )


def _legacy_operation(product: RasterProduct, what: str) -> dict:
    return operation(
        f"{product.id}.getCoverage{what}",
        f"{product.title}: {what} (OGC API - Coverages 2022 draft, as GDAL and OWSLib read it)",
        {
            "200": response(f"The coverage's {what}.", {JSON: {"type": "object"}}),
            "400": BAD_REQUEST,
            "404": NOT_FOUND,
        },
        [fmt("json")],
        [product.id],
    )


def describe(context: Context) -> Fragment:
    """The coverage operations of each raster product the caller may read."""
    paths: dict[str, Any] = {}
    for product in context.products.raster.values():
        base = f"/collections/{product.id}/coverage"
        paths[base] = {"get": _coverage_operation(product)}
        paths[f"{base}/domainset"] = {"get": _legacy_operation(product, "DomainSet")}
        paths[f"{base}/rangetype"] = {"get": _legacy_operation(product, "RangeType")}
    return {"paths": paths}
