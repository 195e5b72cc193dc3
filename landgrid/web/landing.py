"""The landing page, the API definition and our static files.

The landing page links what QGIS, GDAL and the OGC test suites look for: ``service-desc``
typed exactly ``application/vnd.oai.openapi+json;version=3.0``, ``conformance`` and
``data``, and the processes and jobs when processes are offered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, send_from_directory

from landgrid.web.http import JSON, check_params, html_alternate, json_response, wants_html
from landgrid.web.openapi import OpenApi
from landgrid.web.pages import page

OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
STATIC = Path(__file__).parent / "static"


def landing_links(base: str, processes: bool) -> list[dict[str, str]]:
    links = [
        {"href": f"{base}/", "rel": "self", "type": JSON, "title": "this document"},
        html_alternate(f"{base}/"),
        {"href": f"{base}/openapi", "rel": "service-desc", "type": OPENAPI_JSON, "title": "API"},
        {"href": f"{base}/openapi?f=html", "rel": "service-doc", "type": "text/html"},
        {"href": f"{base}/conformance", "rel": "conformance", "type": JSON},
        {"href": f"{base}/conformance", "rel": f"{OGC_REL}/conformance", "type": JSON},
        {"href": f"{base}/collections", "rel": "data", "type": JSON, "title": "collections"},
    ]
    if processes:
        links += [
            {"href": f"{base}/processes", "rel": f"{OGC_REL}/processes", "type": JSON},
            {"href": f"{base}/jobs", "rel": f"{OGC_REL}/job-list", "type": JSON},
        ]
    return links


def landing_blueprint(
    base: str, metadata: dict[str, Any], definition: OpenApi, processes: bool
) -> Blueprint:
    """``metadata``: the ``identification`` of pygeoapi's configuration (title, ...)."""
    bp = Blueprint("landing", __name__)

    @bp.get("/")
    def landing() -> Response:
        check_params(["f"])
        html = wants_html()
        body = {
            "title": metadata.get("title", "Landgrid"),
            "description": metadata.get("description", ""),
            "links": landing_links(base, processes),
        }
        if html:
            return page("landing.html", base=base, title=body["title"], doc=body)
        return json_response(body)

    @bp.get("/openapi")
    def openapi() -> Response:
        check_params(["f"])
        html = wants_html(json_type=OPENAPI_JSON)
        document = definition.document()
        if html:
            return page("openapi.html", base=base, title="API definition", doc=document)
        return json_response(document, media_type=OPENAPI_JSON)

    @bp.get("/static/<path:name>")
    def static(name: str) -> Response:
        return send_from_directory(STATIC, name, max_age=3600)

    return bp
