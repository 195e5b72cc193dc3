"""HTML pages of the job endpoints (Processes Part 1 ``html`` class), with pygeoapi's templates.

The same documents as the JSON answers, rendered with the job templates of the rest of the
site. The format is chosen by ``f`` (``json`` | ``html``), else by ``Accept``: a browser
asking for ``text/html`` gets a page, anything else JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from pygeoapi.util import render_j2_template

from landgrid.errors import InvalidParameterValue

FORMATS = {"json": "application/json", "html": "text/html"}


def wants_html() -> bool:
    """True if this request asks for HTML; an unknown ``f`` is a 400."""
    f = request.args.get("f")
    if f is not None:
        if f not in FORMATS:
            raise InvalidParameterValue(f"f: '{f}' is not one of {sorted(FORMATS)}")
        return f == "html"
    best = request.accept_mimetypes.best_match(list(FORMATS.values()))
    return best == "text/html"


def html_links(href: str) -> list[dict[str, str]]:
    """The alternate representations of a JSON resource at ``href``."""
    return [{"href": f"{href}?f=html", "rel": "alternate", "type": "text/html", "title": "HTML"}]


class JobPages:
    def __init__(self, pygeoapi_config: dict[str, Any]) -> None:
        self.config = pygeoapi_config
        self.templates = pygeoapi_config["server"].get("templates")

    def render(self, template: str, data: dict[str, Any], status: int = 200) -> Response:
        body = render_j2_template(self.config, self.templates, template, data, None)
        return Response(body, status=status, mimetype="text/html")

    def job_list(self, body: dict[str, Any]) -> Response:
        return self.render("jobs/index.html", {"jobs": body, "now": _now(), "offset": 0})

    def job(self, status: dict[str, Any]) -> Response:
        return self.render("jobs/job.html", {"jobs": status, "now": _now()})

    def results(self, job_id: str, document: dict[str, Any]) -> Response:
        return self.render("jobs/results/index.html", {"job": {"id": job_id}, "result": document})


def _now() -> str:
    return datetime.now(UTC).isoformat()
