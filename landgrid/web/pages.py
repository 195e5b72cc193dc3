"""HTML pages: the same documents as the JSON answers, rendered with our templates.

Every page extends ``base.html`` and uses only what this server serves itself (``/static``),
so pages work on a machine without internet. Each page also gets who is looking (the
header's account links, whether operator links show) and, for a logged-in browser session,
the CSRF token its scripts send back when they change something (``landgrid.web.csrf``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app, has_request_context, request
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from landgrid.web import csrf, schema_text
from landgrid.web.auth import caller

_ENV = Environment(
    loader=PackageLoader("landgrid.web", "templates"),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)
BACKTICKS = re.compile(r"`([^`]+)`")
SECTIONS = ("collections", "processes", "jobs", "openapi")


def prose(text: str | None) -> Markup:
    """A description as HTML: escaped, with Markdown's `code` spans as ``<code>``."""
    escaped = str(escape(text or ""))
    return Markup(BACKTICKS.sub(r"<code>\1</code>", escaped))


def number(value: Any, digits: int = 2) -> str:
    """A figure for people: thousands grouped, ``digits`` decimals (none for integers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"
    return text.replace(",", "\u202f")


_ENV.policies["json.dumps_kwargs"] = {"sort_keys": False}  # inputs keep their order
_ENV.filters["prose"] = prose
_ENV.filters["number"] = number
_ENV.filters["schema_words"] = schema_text.describe


def render(template: str, **data: Any) -> str:
    return _ENV.get_template(template).render(**(_viewer() | data))


def page(template: str, status: int = 200, **data: Any) -> Response:
    return Response(render(template, **data), status=status, mimetype="text/html")


def _viewer() -> dict[str, Any]:
    """Who is looking, for the header and the scripts."""
    if not has_request_context():
        return {}
    who = caller()
    head = request.path.strip("/").split("/", 1)[0]
    settings = current_app.config["LANDGRID_SETTINGS"]
    return {
        "basemap": settings.basemap_url,
        "basemap_attribution": settings.basemap_attribution,
        "section": head if head in SECTIONS else "",
        "user": who.identity if who.principal is not None else None,
        "operator": who.is_admin,
        "login": csrf.login_enabled(),
        "logged_in": csrf.has_session(),
        "csrf_token": csrf.session_token() if csrf.has_session() else None,
    }
