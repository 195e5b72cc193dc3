"""HTTP helpers of every endpoint: JSON answers, OGC exception documents, format choice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import Response, request

from landgrid.errors import ApiError, InvalidParameterValue

JSON = "application/json"
HTML = "text/html"


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, headers=headers, mimetype=media_type
    )


def exception_body(error: ApiError) -> dict[str, Any]:
    """OGC API exception (RFC 7807 members plus the legacy ``code``/``description``)."""
    return {
        "type": error.type,
        "title": error.type.rsplit("/", 1)[-1],
        "status": error.status,
        "detail": error.message,
        "code": error.type,
        "description": error.message,
    }


def exception_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return json_response(exception_body(error), error.status, headers)


def wants_html(json_names: tuple[str, ...] = ("json",), json_type: str = JSON) -> bool:
    """Does this request ask for the HTML page rather than the JSON document?

    ``f`` decides (``html``, or one of ``json_names``; anything else is a 400); without it
    the ``Accept`` header does: a browser gets HTML, every other client JSON."""
    f = request.args.get("f")
    if f is not None:
        if f != "html" and f not in json_names:
            names = ", ".join([*json_names, "html"])
            raise InvalidParameterValue(f"f: unsupported format {f!r} (use one of {names})")
        return f == "html"
    best = request.accept_mimetypes.best_match([json_type, JSON, HTML])
    return best == HTML


def html_alternate(href: str) -> dict[str, str]:
    """The link to the HTML representation of the JSON resource at ``href``."""
    return {"href": f"{href}?f=html", "rel": "alternate", "type": HTML, "title": "HTML"}


def check_params(allowed: Iterable[str]) -> None:
    """Refuse query parameters the API definition does not declare for this resource."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise InvalidParameterValue(f"unknown query parameter(s): {', '.join(unknown)}")
