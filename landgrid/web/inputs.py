"""Untrusted input at the edge: every path, query string and body is guarded before use.

``install_input_guards`` checks each request before any route sees it: no NUL, lone
surrogate or control character in the path or the query parameters, no body over
``Limits.json_bytes`` (a declared ``Content-Length`` is refused at once; Flask's
``MAX_CONTENT_LENGTH`` stops a body without one while it is read), and a ``Range`` other
than one byte range is ignored. ``json_body`` is the
one way a route reads a JSON body: size and depth first, then ``json.loads``, then the
strings, all in linear time (``landgrid.guards``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_range_header

from landgrid.errors import InvalidParameterValue, PayloadTooLarge
from landgrid.guards import Limits, check_json_text, check_query_args, check_strings
from landgrid.web.http import exception_response

LIMITS_KEY = "LANDGRID_LIMITS"


def too_large(limits: Limits) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"request body over the limit of {limits.json_bytes} bytes (LANDGRID_LIMIT_JSON_BYTES)"
    )


def install_input_guards(app: Flask, limits: Limits) -> None:
    app.config[LIMITS_KEY] = limits
    app.config["MAX_CONTENT_LENGTH"] = limits.json_bytes

    @app.before_request
    def _guard_request() -> None:
        if "\x00" in request.path:
            raise InvalidParameterValue("path: a NUL character")
        check_query_args(request.args)
        if (request.content_length or 0) > limits.json_bytes:
            raise too_large(limits)
        if "HTTP_RANGE" in request.environ and not one_byte_range(request.headers["Range"]):
            # RFC 9110 14.2: a range unit we do not know MUST be ignored, and an invalid or
            # multiple range MAY be: the whole answer, not Werkzeug's 416 for all of them
            del request.environ["HTTP_RANGE"]

    @app.errorhandler(RequestEntityTooLarge)
    def _body_too_large(error: RequestEntityTooLarge) -> Response:
        return exception_response(too_large(limits))


def one_byte_range(value: str) -> bool:
    parsed = parse_range_header(value)
    return parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1


def request_limits() -> Limits:
    limits: Limits = current_app.config[LIMITS_KEY]
    return limits


def body_text() -> str:
    """The body as text (UTF-8); 400 when it is not."""
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidParameterValue(f"the body is not UTF-8: {exc}") from exc


def json_body(empty: str = "null", what: str = "body") -> Any:
    """The request's JSON body (``empty`` when there is none), guarded: 413 over the size
    limit, 400 when too deep, malformed, or holding a NUL or lone surrogate."""
    limits = request_limits()
    raw = request.get_data() or empty.encode()
    check_json_text(raw, limits, what)
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidParameterValue(f"the {what} is not valid JSON: {exc}") from exc
    check_strings(value, what)
    return value
