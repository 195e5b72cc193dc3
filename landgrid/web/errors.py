"""The one error boundary: every failure answers an OGC exception document, never a page.

- ``ApiError`` (ours, or a library error translated at its boundary): its status, type and
  message; 5xx are logged with a traceback, 4xx are the client's and not logged as errors;
- an HTTP error of the routing layer (unknown path 404, 405 with ``Allow``, 413, 416 with
  ``Content-Range``): the same document with Werkzeug's status;
- a database that is restarting or unreachable: 503 with ``Retry-After``, the pool
  reconnects by itself;
- anything else: 500 "internal error", logged once with its traceback and the request id
  that the client also gets (``X-Request-Id``), so a report can be matched to the log.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from landgrid.db import database_down
from landgrid.errors import ApiError, Unavailable
from landgrid.web.http import exception_response

LOGGER = logging.getLogger("landgrid.web")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
RETRY_AFTER = "5"
HTTP_TYPES = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "PayloadTooLarge",
    414: "URITooLong",
    415: "UnsupportedMediaType",
    416: "RangeNotSatisfiable",
    431: "RequestHeaderFieldsTooLarge",
}


def install_error_boundary(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers.setdefault("X-Request-Id", g.get("request_id", ""))
        return response

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        if error.status >= 500:
            LOGGER.error("%s %s [%s]: %s", request.method, request.path, _rid(), error.message)
        return exception_response(error, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            return _unexpected(error.original_exception)
        status = error.code or 500
        api = ApiError(error.description or error.name, HTTP_TYPES.get(status))
        api.status = status
        response = exception_response(api)
        headers = dict(error.get_headers())
        for name in ("Allow", "Content-Range", "Retry-After", "WWW-Authenticate"):
            if name in headers:
                response.headers[name] = headers[name]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if database_down(error):
            LOGGER.warning("database unavailable [%s]: %s", _rid(), str(error).splitlines()[0])
            down = Unavailable("the database is unavailable; try again in a few seconds")
            return exception_response(down, {"Retry-After": RETRY_AFTER})
        LOGGER.exception("%s %s [%s] failed", request.method, request.full_path, _rid())
        return exception_response(ApiError(f"internal error (request id {_rid()})"))


def _rid() -> str:
    return g.get("request_id", "-")
