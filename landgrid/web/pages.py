"""HTML pages: the same documents as the JSON answers, rendered with our templates.

Every page extends ``base.html`` and uses only what this server serves itself (``/static``),
so pages work on a machine without internet.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(
    loader=PackageLoader("landgrid.web", "templates"), autoescape=select_autoescape()
)


def render(template: str, **data: Any) -> str:
    return _ENV.get_template(template).render(**data)


def page(template: str, status: int = 200, **data: Any) -> Response:
    return Response(render(template, **data), status=status, mimetype="text/html")
