"""HTTP wiring of coverages: ``/collections/{id}/coverage`` (+ legacy domainset/rangetype).

Formats by ``f=`` or ``Accept`` (GeoTIFF by default: what GDAL, OWSLib and QGIS users
open). Every response carries ``Content-Crs`` and ``Content-Bbox`` (in the CRS's axis
order); every bad input is a 400 naming the parameter, a subset outside the coverage a 404.
GeoTIFF answers are COGs served by byte ranges too (``/req/cog/http-range``: GDAL's
``/vsicurl/`` reads the native grid, the colour table and the year asked); the same request
gives the same bytes, so each range is cut from a fresh encoding.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from flask import Blueprint, Response, request

from landgrid.catalog import Catalog
from landgrid.coverage import covjson, describe, encode, pyramid, reader
from landgrid.coverage.plan import Plan, make_plan
from landgrid.coverage.query import CoverageQuery, parse_query
from landgrid.crs import crs_uri, in_axis_order
from landgrid.errors import ApiError, InvalidParameterValue, NotFound
from landgrid.raster.product import RasterProduct
from landgrid.web import coverage_page as page
from landgrid.web.conformance import OGC
from landgrid.web.http import check_params, json_response

CONF = f"{OGC}/ogcapi-coverages-1/1.0/conf"
COVERAGES = [
    f"{CONF}/{name}"
    for name in (
        "core",
        "subsetting-spatial",
        "subsetting-temporal",
        "field-selection",
        "scaling-spatial",
        "crs",
        "html",
        "geotiff",
        "netcdf",
        "png",
        "coveragejson",
        "api-operations",
    )
]
COG = f"{CONF}/cog"
COG_PROFILE = "http://www.opengis.net/def/profile/geotiff/cloud-optimized"


def coverages_conformance(catalog: Catalog, max_pixels: int) -> list[str]:
    """The classes while a raster product is served; ``cog`` while every product's whole
    coverage (no parameters: its newest year at the native grid) fits in one response,
    since that is the resource the class reads by ranges."""
    rasters = catalog.products().raster.values()
    if not rasters:
        return []
    whole = all(p.width * p.height <= max_pixels for p in rasters)
    return COVERAGES + ([COG] if whole else [])


Encoder = Callable[[np.ndarray, Plan], bytes | Iterable[bytes]]  # chunks: a streamed body
ENCODERS: dict[str, tuple[str, Encoder, str]] = {  # name -> media type, encoder, suffix
    "tif": (describe.GEOTIFF, encode.geotiff, "tif"),
    "nc": ("application/x-netcdf", encode.netcdf, "nc"),
    "covjson": (covjson.MEDIA_TYPE, covjson.coverage, "covjson"),
    "png": ("image/png", encode.png, "png"),
}
F_ALIASES = {
    "tif": "tif",
    "tiff": "tif",
    "geotiff": "tif",
    "gtiff": "tif",
    "cog": "tif",
    "nc": "nc",
    "netcdf": "nc",
    "netcdf4": "nc",
    "covjson": "covjson",
    "coveragejson": "covjson",
    "json": "covjson",
    "png": "png",
    "html": "html",
}
MEDIA = {
    "image/tiff": "tif",
    "image/geotiff": "tif",
    "application/x-geotiff": "tif",
    "application/x-netcdf": "nc",
    "application/netcdf": "nc",
    "application/x-netcdf4": "nc",
    covjson.MEDIA_TYPE: "covjson",
    describe.PRS_COVJSON: "covjson",
    "application/json": "covjson",
    "image/png": "png",
    "text/html": "html",
    "application/xhtml+xml": "html",
}


class NotAcceptable(ApiError):
    status = 406
    type = "NotAcceptable"


def negotiate(f: str | None, accept: list[tuple[str, float]]) -> tuple[str, str | None]:
    """Encoder name from ``f`` (wins) or the ``Accept`` header (GeoTIFF for ``*/*``), and
    the media type asked when it names one: CoverageJSON answers as asked, under its
    registered type or the older ``application/prs.coverage+json``."""
    if f is not None:
        name = F_ALIASES.get(f.lower())
        if name is None:
            raise InvalidParameterValue(
                f"f: unknown format {f!r}; use one of {', '.join(ENCODERS)}, html"
            )
        return name, None
    if not accept:
        return "tif", None
    for value, _ in sorted(accept, key=lambda a: -a[1]):
        base = value.split(";")[0].strip().lower()
        if base in MEDIA:
            return MEDIA[base], base
        if base in ("*/*", "image/*", "application/*"):
            return ("png" if base == "image/*" else "tif"), None
    raise NotAcceptable(
        f"Accept: none of {[a[0] for a in accept]} is offered; offered: "
        f"{', '.join(m for m, _, _ in ENCODERS.values())}, {page.MEDIA_TYPE}"
    )


def coverage_blueprint(base: str, catalog: Catalog, max_pixels: int) -> Blueprint:
    bp = Blueprint("coverages", __name__)

    def product_of(collection_id: str) -> tuple[RasterProduct, Path]:
        product = catalog.raster(collection_id)
        if product is None:
            raise NotFound(f"collection {collection_id!r} has no coverage")
        return product, catalog.store(collection_id)

    @bp.get("/collections/<collection_id>/coverage")
    def coverage(collection_id: str) -> Response:
        product, store = product_of(collection_id)
        args = request.args.to_dict(flat=False)
        query = parse_query(args)
        name, asked = negotiate(query.format, list(request.accept_mimetypes))
        if name == "html":
            return html_page(product, store, args, query)
        plan = make_plan(product, reader.years(store), query, max_pixels)
        if name == "png" and len(plan.years) > 1:
            raise InvalidParameterValue(
                f"datetime: a PNG shows one year, {len(plan.years)} selected ({plan.years})"
            )
        data = pyramid.read(store, plan)
        media, encoder, suffix = ENCODERS[name]
        if name == "covjson" and asked == describe.PRS_COVJSON:
            media = asked
        body = encoder(data, plan)
        b = in_axis_order(plan.grid.crs, plan.grid.bounds)
        years = "-".join(str(y) for y in plan.years)
        headers = {
            "Content-Crs": f"<{crs_uri(plan.grid.crs)}>",
            "Content-Bbox": ",".join(repr(round(v, 9)) for v in b),
            "Content-Datetime": f"{plan.years[0]}-01-01T00:00:00Z/{plan.years[-1]}-12-31T23:59:59Z",
            "Content-Disposition": f"{'inline' if name == 'png' else 'attachment'}; "
            f'filename="{product.id}-{years}.{suffix}"',
            "Vary": "Accept",
        }
        if name == "png":  # the codes as they are (/req/png/coverage E, F)
            headers |= {"Values-Scale": "1", "Values-Offset": "0"}
        response = Response(body, status=200, headers=headers, content_type=media)
        if name == "tif":
            response.headers["Content-Profile"] = f"<{COG_PROFILE}>"
            response.set_etag(_etag(store, args, media))
            response = response.make_conditional(
                request,
                accept_ranges=True,
                complete_length=len(body),  # type: ignore[arg-type]
            )
        return response

    def html_page(
        product: RasterProduct, store: Path, args: dict[str, list[str]], query: CoverageQuery
    ) -> Response:
        """The request described, previewed (PNG per year) and its legend; reads no pixel."""
        years = reader.years(store)
        plan = make_plan(product, years, query, sys.maxsize)  # as asked, whatever its size
        preview = page.preview_args(args, plan)
        one_year = {**preview, "datetime": [str(plan.years[-1])]}  # each preview: one PNG
        make_plan(product, years, parse_query(one_year), max_pixels)
        body = page.render(base, product, plan, args, preview, max_pixels)
        return Response(
            body, content_type=f"{page.MEDIA_TYPE}; charset=utf-8", headers={"Vary": "Accept"}
        )

    @bp.get("/collections/<collection_id>/coverage/domainset")
    def domainset(collection_id: str) -> Response:
        _json_only()
        product, store = product_of(collection_id)
        return json_response(describe.domainset(product, reader.years(store)))

    @bp.get("/collections/<collection_id>/coverage/rangetype")
    def rangetype(collection_id: str) -> Response:
        _json_only()
        return json_response(describe.rangetype(product_of(collection_id)[0]))

    return bp


def _etag(store: Path, args: dict[str, list[str]], media: str) -> str:
    """Same store version and request, same bytes: what byte ranges are cut from."""
    stamp = store.stat().st_mtime_ns
    key = json.dumps([stamp, media, sorted((k, sorted(v)) for k, v in args.items())])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _json_only() -> None:
    """The 2022-draft documents are JSON only: ``f`` may say so, nothing else."""
    check_params(["f"])
    if request.args.get("f", "json") != "json":
        raise InvalidParameterValue("f: these descriptions are JSON only (f=json)")
