"""OGC API - Common: the landing page, the API definition, the conformance declaration and
the health check (``landgrid.web.landing``, ``conformance``, ``health``)."""

from __future__ import annotations

from landgrid.web.openapi.shared import (
    BAD_REQUEST,
    F_JSON_HTML,
    HTML,
    JSON,
    LINKS,
    OPENAPI_JSON,
    STRING,
    Context,
    Fragment,
    fmt,
    json_and_html,
    operation,
    response,
    schema_ref,
)

TAGS = ["server"]
SCHEMAS = {
    "landingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {"title": STRING, "description": STRING, "links": LINKS},
    },
    "confClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": STRING}},
    },
    "health": {
        "type": "object",
        "required": ["status", "checks"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "checks": {"type": "object", "additionalProperties": {"type": "object"}},
        },
    },
}


def describe(context: Context) -> Fragment:
    health = {JSON: schema_ref("health")}
    paths = {
        "/": {
            "get": operation(
                "getLandingPage",
                "Landing page: links to the API definition, conformance and collections",
                {
                    "200": json_and_html("The landing page.", schema_ref("landingPage")),
                    "400": BAD_REQUEST,
                },
                [F_JSON_HTML],
                TAGS,
            )
        },
        "/openapi": {
            "get": operation(
                "getApiDefinition",
                "This API definition (OpenAPI 3.0), or its HTML page",
                {
                    "200": response(
                        "The API definition.", {OPENAPI_JSON: {"type": "object"}, HTML: STRING}
                    ),
                    "400": BAD_REQUEST,
                },
                [fmt("json", "html")],
                TAGS,
            )
        },
        "/conformance": {
            "get": operation(
                "getConformance",
                "The conformance classes this server implements now",
                {
                    "200": json_and_html("The conformance declaration.", schema_ref("confClasses")),
                    "400": BAD_REQUEST,
                },
                [F_JSON_HTML],
                TAGS,
            )
        },
        "/health": {
            "get": operation(
                "getHealth",
                "Is each part of the stack answering (database, Prefect, worker)?",
                {
                    "200": response("Every part answers.", health),
                    "400": BAD_REQUEST,
                    "503": response("A part is down; `checks` says which and why.", health),
                },
                tags=TAGS,
            )
        },
        "/metrics": {
            "get": operation(
                "getMetrics",
                "Prometheus metrics of the web app (requests by route, jobs, caches)",
                {
                    "200": response(
                        "The metrics, Prometheus text format 0.0.4.", {"text/plain": STRING}
                    ),
                    "400": BAD_REQUEST,
                },
                tags=TAGS,
            )
        },
    }
    return {"paths": paths, "components": {"schemas": SCHEMAS}, "tags": [{"name": "server"}]}
