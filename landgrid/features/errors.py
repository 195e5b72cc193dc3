"""Errors of the features API, as leaves of the project's ``ApiError`` tree.

Each carries its OGC exception type and HTTP status; ``landgrid.web.http.exception_response``
maps them to responses in one place, and database errors are translated once, in
``store.translate_db_errors``.
"""

from __future__ import annotations

from landgrid.errors import ApiError, InvalidParameterValue
from landgrid.errors import NotFound as _NotFound

FeatureError = ApiError


class InvalidParameter(InvalidParameterValue):
    """A query parameter or filter that is malformed, unknown or of the wrong type."""


class UnknownParameter(InvalidParameter):
    """A query parameter the API does not define (OGC /req/core/query-param-unknown)."""


class NotFound(_NotFound):
    """No such feature, or the collection's table is missing."""


class QueryTimeout(ApiError):
    """The statement timeout cancelled the query: the request is too expensive."""

    status = 503
    type = "ServiceUnavailable"
