"""HTTP wiring of coverages: ``/collections/{id}/coverage`` (+ legacy domainset/rangetype).

Formats by ``f=`` or ``Accept`` (GeoTIFF by default: what GDAL, OWSLib and QGIS users
open). Every response carries ``Content-Crs`` and ``Content-Bbox``; every bad input is a
400 naming the parameter.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from flask import Blueprint, Response, request

from landgrid.catalog import Catalog
from landgrid.coverage import covjson, describe, encode, pyramid, reader
from landgrid.coverage.plan import Plan, make_plan
from landgrid.coverage.query import CoverageQuery, parse_query
from landgrid.crs import crs_uri
from landgrid.errors import ApiError, InvalidParameterValue, NotFound
from landgrid.raster.product import RasterProduct
from landgrid.web import coverage_page as page
from landgrid.web.conformance import OGC
from landgrid.web.http import json_response

COVERAGES = [
    f"{OGC}/ogcapi-coverages-1/1.0/conf/core",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/subsetting",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/fieldselection",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/scaling",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/crs",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/geotiff",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/netcdf",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/png",
    f"{OGC}/ogcapi-coverages-1/1.0/conf/coveragejson",
]


def coverages_conformance(catalog: Catalog) -> list[str]:
    return COVERAGES if catalog.products().raster else []


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
    "application/vnd.cov+json": "covjson",
    "application/prs.coverage+json": "covjson",
    "application/json": "covjson",
    "image/png": "png",
    "text/html": "html",
    "application/xhtml+xml": "html",
}


class NotAcceptable(ApiError):
    status = 406
    type = "NotAcceptable"


def negotiate(f: str | None, accept: list[tuple[str, float]]) -> str:
    """Encoder name from ``f`` (wins) or the ``Accept`` header; GeoTIFF for ``*/*``."""
    if f is not None:
        name = F_ALIASES.get(f.lower())
        if name is None:
            raise InvalidParameterValue(
                f"f: unknown format {f!r}; use one of {', '.join(ENCODERS)}, html"
            )
        return name
    if not accept:
        return "tif"
    for value, _ in sorted(accept, key=lambda a: -a[1]):
        base = value.split(";")[0].strip().lower()
        if base in MEDIA:
            return MEDIA[base]
        if base in ("*/*", "image/*", "application/*"):
            return "png" if base == "image/*" else "tif"
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
        name = negotiate(query.format, list(request.accept_mimetypes))
        if name == "html":
            return html_page(product, store, args, query)
        plan = make_plan(product, reader.years(store), query, max_pixels)
        if name == "png" and len(plan.years) > 1:
            raise InvalidParameterValue(
                f"datetime: a PNG shows one year, {len(plan.years)} selected ({plan.years})"
            )
        data = pyramid.read(store, plan)
        media, encoder, suffix = ENCODERS[name]
        body = encoder(data, plan)
        b = plan.grid.bounds
        years = "-".join(str(y) for y in plan.years)
        headers = {
            "Content-Crs": f"<{crs_uri(plan.grid.crs)}>",
            "Content-Bbox": ",".join(repr(round(v, 9)) for v in b),
            "Content-Datetime": f"{plan.years[0]}-01-01T00:00:00Z/{plan.years[-1]}-12-31T23:59:59Z",
            "Content-Disposition": f"{'inline' if name == 'png' else 'attachment'}; "
            f'filename="{product.id}-{years}.{suffix}"',
            "Vary": "Accept",
        }
        return Response(body, status=200, headers=headers, content_type=media)

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
        product, store = product_of(collection_id)
        return json_response(describe.domainset(product, reader.years(store)))

    @bp.get("/collections/<collection_id>/coverage/rangetype")
    def rangetype(collection_id: str) -> Response:
        return json_response(describe.rangetype(product_of(collection_id)[0]))

    return bp
