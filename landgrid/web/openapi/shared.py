"""What every OpenAPI fragment shares: its input (``Context``), the building blocks of
operations, and the schemas of the documents all APIs answer with (links, exceptions).

Everything is an OpenAPI 3.0 object; references are local (``#/components/...``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from landgrid.catalog import Products
from landgrid.features.settings import FeatureSettings
from landgrid.features.table import TableInfo
from landgrid.settings import Settings

JSON = "application/json"
HTML = "text/html"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
Fragment = dict[str, Any]  # a partial document: "paths", "components", "tags"


@dataclass(frozen=True)
class Context:
    """What the document describes: this server as the caller sees it now."""

    base: str
    settings: Settings
    features: FeatureSettings
    products: Products  # the collections the caller may read
    processes: Mapping[str, Mapping[str, Any]]  # process id -> its description
    tables: Mapping[str, TableInfo | None]  # vector product id -> its columns (None: unknown)


Describe = Callable[[Context], Fragment]


def ref(section: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{section}/{name}"}


def schema_ref(name: str) -> dict[str, str]:
    return ref("schemas", name)


def query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A query parameter (form style; arrays comma-separated unless ``explode`` is given)."""
    explode = extra.pop("explode", False)
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": explode,
        **extra,
    }


def path_param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def header(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def fmt(*names: str, description: str = "") -> dict[str, Any]:
    """The ``f`` parameter: the format by name, else by ``Accept``."""
    return query(
        "f",
        description or "Output format; chosen by the `Accept` header when absent.",
        {"type": "string", "enum": list(names)},
    )


F_JSON_HTML = fmt("json", "html")


def content(**media: dict[str, Any]) -> dict[str, Any]:
    """``content`` from media type -> schema, keyword names with ``__`` for ``/``."""
    return {name.replace("__", "/"): {"schema": schema} for name, schema in media.items()}


def response(
    description: str,
    media: Mapping[str, dict[str, Any]] | None = None,
    headers: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if headers:
        out["headers"] = dict(headers)
    if media:
        out["content"] = {name: {"schema": schema} for name, schema in media.items()}
    return out


def json_and_html(description: str, schema: dict[str, Any], json: str = JSON) -> dict:
    """A 200 answering a JSON document or its HTML page."""
    return response(description, {json: schema, HTML: {"type": "string"}})


def error(description: str) -> dict[str, Any]:
    """An error answer: an OGC exception document (RFC 7807 members)."""
    return response(description, {JSON: schema_ref("exception")})


BAD_REQUEST = error("A parameter is invalid; the exception names it.")
NOT_FOUND = error("No such resource.")
SERVER_ERROR = error("Server error (the exception carries the request id).")
UNAVAILABLE = error("The database is unavailable (`Retry-After`) or the query took too long.")


def operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    parameters: list[dict[str, Any]] | None = None,
    tags: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": operation_id, "summary": summary}
    if tags:
        out["tags"] = tags
    if parameters:
        out["parameters"] = parameters
    out["responses"] = {**responses, "500": responses.get("500", SERVER_ERROR)}
    out.update(extra)
    return out


STRING = {"type": "string"}
LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": STRING,
        "rel": STRING,
        "type": STRING,
        "hreflang": STRING,
        "title": STRING,
        "length": {"type": "integer"},
        "templated": {"type": "boolean"},
    },
}
LINKS = {"type": "array", "items": schema_ref("link")}


def listing(member: str, item: str) -> dict[str, Any]:
    """A document listing ``member``: an array of the schema ``item``, and links."""
    return {
        "type": "object",
        "required": [member, "links"],
        "properties": {
            member: {"type": "array", "items": schema_ref(item)},
            "links": LINKS,
        },
    }


EXCEPTION = {
    "type": "object",
    "description": "OGC API exception (RFC 7807), with the legacy `code`/`description`.",
    "required": ["type"],
    "properties": {
        "type": STRING,
        "title": STRING,
        "status": {"type": "integer"},
        "detail": STRING,
        "instance": STRING,
        "code": STRING,
        "description": STRING,
    },
}
# What the HTTP server in front (gunicorn) refuses before the API reads the request, on
# every operation alike: added to each by ``assemble``.
FRONT = {
    "414": ("uriTooLong", "The request line is over the server's limit (4094 bytes)."),
    "431": ("headersTooLarge", "Too many headers, or one over the server's limit (8190 bytes)."),
}
COMPONENTS = {
    "schemas": {"link": LINK, "exception": EXCEPTION},
    "responses": {name: error(text) for name, text in FRONT.values()},
}


def to_oas30(schema: Any) -> Any:
    """A JSON Schema (a process input or output, a queryable) as an OpenAPI 3.0 Schema
    Object: ``const`` becomes a one-value ``enum``, type lists ``oneOf`` or ``nullable``,
    ``contentEncoding`` a ``format`` (the media type is the content's key); keywords
    OpenAPI 3.0 lacks are dropped."""
    if isinstance(schema, list):
        return [to_oas30(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "const":
            out["enum"] = [value]
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if "null" in value:
                out["nullable"] = True
            if len(kinds) == 1:
                out["type"] = kinds[0]
            else:
                out["oneOf"] = [{"type": t} for t in kinds]
        elif key == "contentEncoding":
            if value in ("binary", "base64"):
                out["format"] = "binary" if value == "binary" else "byte"
        elif key in ("contentMediaType", "contentSchema", "$schema", "$id", "examples"):
            continue
        elif key == "properties":
            out[key] = {name: to_oas30(v) for name, v in value.items()}
        else:
            out[key] = to_oas30(value)
    return out
