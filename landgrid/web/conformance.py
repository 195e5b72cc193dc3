"""``/conformance``: the classes of the APIs mounted, as each declares them now.

Each API module declares what it really implements, and only while it serves something
(a feature collection, a coverage, a process); the list is computed per request, so a
product loaded while the server runs adds its classes at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, Response

from landgrid.web.http import check_params, json_response, wants_html
from landgrid.web.pages import page

OGC = "http://www.opengis.net/spec"
COMMON = [
    f"{OGC}/ogcapi-common-1/1.0/conf/core",
    f"{OGC}/ogcapi-common-1/1.0/conf/landing-page",
    f"{OGC}/ogcapi-common-1/1.0/conf/json",
    f"{OGC}/ogcapi-common-1/1.0/conf/html",
    f"{OGC}/ogcapi-common-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-common-2/1.0/conf/collections",
]
ConformsTo = Callable[[], list[str]]


def conformance_blueprint(base: str, declared: Sequence[ConformsTo]) -> Blueprint:
    bp = Blueprint("conformance", __name__)

    @bp.get("/conformance")
    def conformance() -> Response:
        check_params(["f"])
        html = wants_html()
        classes = list(dict.fromkeys([*COMMON, *(c for api in declared for c in api())]))
        if html:
            return page("conformance.html", base=base, title="Conformance", classes=classes)
        return json_response({"conformsTo": classes})

    return bp
