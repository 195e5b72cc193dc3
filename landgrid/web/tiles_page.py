"""The HTML page of a collection's tilesets (``/tiles``, ``/map/tiles``) and of one tileset.

The Tiles and Maps blueprints call ``tiles_page`` first in those routes: a browser (or
``f=html``) gets the document rendered with ``tiles.html``, every other client the JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from landgrid.catalog import Catalog
from landgrid.web.http import HTML, JSON
from landgrid.web.pages import page


def asks_html() -> bool:
    """``f=html``, or no ``f`` and an ``Accept`` that prefers HTML (a browser)."""
    f = request.args.get("f")
    if f is not None:
        return f == "html"
    return request.accept_mimetypes.best_match([JSON, HTML]) == HTML


def tiles_page(
    base: str, catalog: Catalog, collection_id: str, body: dict[str, Any], what: str
) -> Response | None:
    """``what``: e.g. "map tiles"; None when the request does not ask for HTML."""
    if not asks_html():
        return None
    product = catalog.raster(collection_id) or catalog.vector(collection_id)
    title = product.title if product else collection_id
    return page(
        "tiles.html",
        base=base,
        title=f"{title}: {what}",
        doc=body,
        collection_href=f"{base}/collections/{collection_id}",
        collection_title=title,
    )
