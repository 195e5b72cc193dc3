"""CORS and HTTP caching, for every response of the app (installed once by ``create_app``).

CORS: any page may read what an anonymous request gets (``Access-Control-Allow-Origin: *``,
or the origins of ``cors_origins``): a browser never sends cookies or tokens with such a
request, so nothing private leaks. Pages of ``cors_credentials_origins`` may also send
credentials: their origin is echoed with ``Access-Control-Allow-Credentials``. Preflight
requests are answered here, before authentication (they carry no credentials).

Caching: a response made from a product's version carries a strong ``ETag`` and
``Last-Modified``; ``If-None-Match`` (or ``If-Modified-Since``) answers 304 before any
pixel is read. Public products are ``Cache-Control: public``; owned or protected ones
``private``, so no shared cache keeps them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

from flask import Flask, Response, request

from landgrid.settings import Settings

EXPOSED = (
    "ETag, Last-Modified, Link, Location, Content-Crs, Content-Bbox, Content-Datetime, "
    "OGCAPI-Datetime, Preference-Applied, X-Request-Id"
)
METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


def _origins(value: str) -> set[str]:
    return {o.strip().rstrip("/") for o in value.split(",") if o.strip()}


def install_cors(app: Flask, settings: Settings) -> None:
    anyone = settings.cors_origins.strip() == "*"
    readers = _origins(settings.cors_origins)
    trusted = _origins(settings.cors_credentials_origins)

    def allow(response: Response, origin: str | None) -> None:
        if origin and origin in trusted:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
        elif anyone:
            response.headers["Access-Control-Allow-Origin"] = "*"
        elif origin and origin in readers:
            response.headers["Access-Control-Allow-Origin"] = origin
        if trusted or not anyone:
            response.vary.add("Origin")

    @app.before_request
    def preflight() -> Response | None:
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        response = Response(status=204)
        allow(response, request.headers.get("Origin"))
        response.headers["Access-Control-Allow-Methods"] = METHODS
        asked = request.headers.get("Access-Control-Request-Headers")
        if asked:
            response.headers["Access-Control-Allow-Headers"] = asked
        response.headers["Access-Control-Max-Age"] = "86400"
        return response

    @app.after_request
    def cors(response: Response) -> Response:
        if "Access-Control-Allow-Origin" not in response.headers:
            allow(response, request.headers.get("Origin"))
        response.headers.setdefault("Access-Control-Expose-Headers", EXPOSED)
        return response


@dataclass(frozen=True)
class Version:
    """What a response is made from: ``parts`` identify its bytes (a product's version,
    the request), ``modified`` is when that version appeared (epoch seconds)."""

    parts: tuple
    modified: float | None = None
    public: bool = True

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(repr(self.parts).encode()).hexdigest()[:32] + '"'


def not_modified(version: Version, max_age: int) -> Response | None:
    """A 304 when the client holds this version (RFC 9110 13.1.2/13.1.3), else None."""
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        held = {t.strip().removeprefix("W/") for t in tags.split(",")}
        fresh = "*" in held or version.etag in held
    else:
        since = request.headers.get("If-Modified-Since")
        fresh = False
        if since and version.modified is not None:
            try:
                fresh = int(version.modified) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                fresh = False
    return cached(Response(status=304), version, max_age) if fresh else None


def cached(response: Response, version: Version, max_age: int) -> Response:
    response.headers["ETag"] = version.etag
    if version.modified is not None:
        when = dt.datetime.fromtimestamp(int(version.modified), dt.UTC)
        response.headers["Last-Modified"] = format_datetime(when, usegmt=True)
    scope = "public" if version.public else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age={max_age}"
    response.vary.add("Accept")
    return response
