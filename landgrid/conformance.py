"""``/conformance``, computed from what is mounted and configured.

Each API part lists the classes it really implements; a part counts only when the
configuration has a resource it serves (a feature or coverage collection, a process).
pygeoapi's own list is static and claims classes we do not implement (e.g. Features
Part 4 transactions), so this route answers instead of pygeoapi's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from landgrid.http import json_response

OGC = "http://www.opengis.net/spec"

COMMON = [
    f"{OGC}/ogcapi-common-1/1.0/conf/core",
    f"{OGC}/ogcapi-common-1/1.0/conf/landing-page",
    f"{OGC}/ogcapi-common-1/1.0/conf/json",
    f"{OGC}/ogcapi-common-1/1.0/conf/html",
    f"{OGC}/ogcapi-common-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-common-2/1.0/conf/collections",
]
FEATURES = [
    f"{OGC}/ogcapi-features-1/1.0/conf/core",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{OGC}/ogcapi-features-1/1.0/conf/html",
    f"{OGC}/ogcapi-features-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-features-2/1.0/conf/crs",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    f"{OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{OGC}/cql2/1.0/conf/cql2-text",
    f"{OGC}/cql2/1.0/conf/cql2-json",
    f"{OGC}/cql2/1.0/conf/basic-cql2",
    f"{OGC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{OGC}/cql2/1.0/conf/case-insensitive-comparison",
    f"{OGC}/cql2/1.0/conf/accent-insensitive-comparison",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions-plus",
    f"{OGC}/cql2/1.0/conf/spatial-functions",
    f"{OGC}/cql2/1.0/conf/temporal-functions",
    f"{OGC}/cql2/1.0/conf/property-property",
    f"{OGC}/cql2/1.0/conf/arithmetic",
]
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
TRANSACTIONS = [
    f"{OGC}/ogcapi-features-4/1.0/conf/create-replace-delete",
    f"{OGC}/ogcapi-features-4/1.0/conf/update",
]
PROCESSES = [
    f"{OGC}/ogcapi-processes-1/1.0/conf/core",
    f"{OGC}/ogcapi-processes-1/1.0/conf/ogc-process-description",
    f"{OGC}/ogcapi-processes-1/1.0/conf/json",
    f"{OGC}/ogcapi-processes-1/1.0/conf/html",
    f"{OGC}/ogcapi-processes-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-processes-1/1.0/conf/job-list",
    f"{OGC}/ogcapi-processes-1/1.0/conf/callback",
    f"{OGC}/ogcapi-processes-1/1.0/conf/dismiss",
]


def conformance_classes(resources: dict[str, Any], editable: bool = False) -> list[str]:
    provider_types = {
        provider.get("type")
        for resource in resources.values()
        if resource.get("type") == "collection"
        for provider in resource.get("providers", [])
    }
    classes = list(COMMON)
    if "feature" in provider_types:
        classes += FEATURES + (TRANSACTIONS if editable else [])
    if "coverage" in provider_types:
        classes += COVERAGES
    if any(resource.get("type") == "process" for resource in resources.values()):
        classes += PROCESSES
    return classes


def wants_html() -> bool:
    if "f" in request.args:
        return request.args["f"] == "html"
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def conformance_blueprint(resources: dict[str, Any], editable: Callable[[], bool]) -> Blueprint:
    """``resources``: pygeoapi's live resource list (products registered while running are
    added to it); ``editable``: whether some vector product accepts transactions (Part 4)."""
    bp = Blueprint("landgrid_conformance", __name__)

    @bp.get("/conformance")
    def conformance() -> Response:
        body = {"conformsTo": conformance_classes(resources, editable())}
        if wants_html():
            items = "".join(f'<li><a href="{uri}">{uri}</a></li>' for uri in body["conformsTo"])
            page = f"<!doctype html><title>Conformance</title><h1>Conformance</h1><ul>{items}</ul>"
            return Response(page, mimetype="text/html")
        return json_response(body)

    return bp
