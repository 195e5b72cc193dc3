"""HTTP helpers shared by our own endpoints: JSON answers and OGC exception documents."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from landgrid.errors import ApiError


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, headers=headers, mimetype=media_type
    )


def exception_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    """OGC API exception (RFC 7807 members plus the legacy ``code``/``description``)."""
    body = {
        "type": error.type,
        "title": error.type.rsplit("/", 1)[-1],
        "status": error.status,
        "detail": error.message,
        "code": error.type,
        "description": error.message,
    }
    return json_response(body, error.status, headers)
