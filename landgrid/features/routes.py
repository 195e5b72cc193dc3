"""HTTP edge of the features API: ``/items``, ``/items/{id}`` and ``/queryables`` as JSON.

pygeoapi's itemtypes API cannot send ``Content-Crs``, take a CQL2 POST body, emit cursor
links or answer bad input with 400 rather than 500 (design.md §5/§6), so these routes
answer for our vector products in front of pygeoapi's blueprint, and so do the Part 4
transactions (``landgrid.features.editor``). HTML pages of items are pygeoapi's template
filled here, so that they page by cursor too; other HTML and other collections are handed
to pygeoapi's own views unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request

from landgrid.features.editor import FeatureEditor
from landgrid.features.errors import FeatureError, InvalidParameter, NotFound
from landgrid.features.product import (
    load_vector_products,
    vector_collection,
    vector_products_dirs,
)
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore, Page
from landgrid.http import exception_response
from landgrid.settings import Settings

LOGGER = logging.getLogger(__name__)
GEOJSON = "application/geo+json"
CQL2_JSON_TYPES = ("application/json", "application/query-cql-json", "application/cql2+json")
CQL2_TEXT_TYPES = ("text/plain", "application/cql2-text")


def _pygeoapi(view: str, *args: str | None) -> Any:
    from pygeoapi import flask_app  # imported by create_app before this blueprint is used

    return getattr(flask_app, view)(*args)


def _wants_html() -> bool:
    f = request.args.get("f")
    if f is not None:
        if f not in ("json", "geojson", "html"):
            raise InvalidParameter(f"f: unsupported format {f!r} (json, html)")
        return f == "html"
    best = request.accept_mimetypes.best_match([GEOJSON, "application/json", "text/html"])
    return best == "text/html"


def _mtimes(dirs: list[Path]) -> list[int | None]:
    return [d.stat().st_mtime_ns if d.is_dir() else None for d in dirs]


def error_response(error: FeatureError) -> Response:
    if error.status >= 500:
        LOGGER.error("features: %s", error.message)
    return exception_response(error)


def features_blueprint(
    settings: Settings, feature_settings: FeatureSettings | None = None
) -> Blueprint:
    """Routes for every configured vector product; register before pygeoapi's blueprint."""
    fs = feature_settings or FeatureSettings()
    dirs = vector_products_dirs(settings)
    products = load_vector_products(dirs)
    stores = {pid: FeatureStore(settings.db_url(), p, fs) for pid, p in products.items()}
    base = settings.url
    bp = Blueprint("landgrid_features", __name__)
    bp.register_error_handler(FeatureError, error_response)
    seen = {"mtimes": _mtimes(dirs)}

    @bp.before_app_request
    def pick_up_new_products() -> None:
        """Serve vector products registered while running (e.g. by the ``vectorize``
        process) without a restart: when a definitions folder changed (one ``stat`` per
        folder per request), new products get a store here and a collection in pygeoapi's
        resource list, which pygeoapi reads on every request. Each web worker does this
        itself; a removed definition (a dismissed job's collection) is dropped the same
        way. Changed definitions still need a restart."""
        mtimes = _mtimes(dirs)
        if mtimes == seen["mtimes"]:
            return
        seen["mtimes"] = mtimes
        from pygeoapi.flask_app import api_

        resources = api_.config["resources"]
        products = load_vector_products(dirs)
        for pid in [pid for pid in stores if pid not in products]:
            del stores[pid]
            resources.pop(pid, None)
        for pid, product in products.items():
            if pid not in stores and pid not in resources:
                stores[pid] = FeatureStore(settings.db_url(), product, fs)
                resources[pid] = vector_collection(product)

    @bp.route("/collections/<path:collection_id>/items", methods=["GET", "POST"])
    def items(collection_id: str) -> Any:
        store = stores.get(collection_id)
        is_filter_post = request.method == "POST" and request.mimetype != GEOJSON
        if store is not None and request.method == "POST" and not is_filter_post:
            new_id = FeatureEditor(store).create(
                _json_body(), request.headers.get("Content-Crs"), _identity()
            )
            location = f"{base}/collections/{collection_id}/items/{new_id}"
            return Response(status=201, headers={"Location": location})
        if store is None:
            return _pygeoapi("collection_items", collection_id)
        if _wants_html():
            if request.method != "GET":
                return _pygeoapi("collection_items", collection_id)
            return _items_html(store, collection_id, f"{base}/collections/{collection_id}/items")
        body_filter, body_lang = _body_filter() if is_filter_post else (None, None)
        info, req = store.parse(request.args, body_filter, body_lang)
        page = store.items(info, req)
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        if body_filter is not None:
            args |= {
                "filter": json.dumps(req.filter, separators=(",", ":")),
                "filter-lang": "cql2-json",
            }
        url = f"{base}/collections/{collection_id}/items"
        return _collection_response(page, url, args)

    @bp.route("/collections/<path:collection_id>/items/<path:item_id>", methods=["GET"])
    def item(collection_id: str, item_id: str) -> Any:
        store = stores.get(collection_id)
        if store is None or _wants_html():
            return _pygeoapi("collection_items", collection_id, item_id)
        unknown = set(request.args) - {"f", "crs", "lang"}
        if unknown:
            raise InvalidParameter(f"unknown query parameter(s): {', '.join(sorted(unknown))}")
        text, crs = store.item(item_id, request.args.get("crs"))
        collection = f"{base}/collections/{collection_id}"
        links = [
            {"rel": "self", "type": GEOJSON, "href": f"{collection}/items/{item_id}"},
            {"rel": "collection", "type": "application/json", "href": collection},
        ]
        body = text[:-1] + ',"links":' + json.dumps(links) + "}"
        return Response(body, 200, mimetype=GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"})

    @bp.route(
        "/collections/<path:collection_id>/items/<path:item_id>", methods=["PUT", "PATCH", "DELETE"]
    )
    def edit_item(collection_id: str, item_id: str) -> Any:
        store = stores.get(collection_id)
        if store is None:
            raise NotFound(f"no collection {collection_id!r}")
        editor, crs = FeatureEditor(store), request.headers.get("Content-Crs")
        if request.method == "PUT":
            editor.replace(item_id, _json_body(), crs, _identity())
        elif request.method == "PATCH":
            editor.update(item_id, _json_body(), crs, _identity())
        else:
            editor.delete(item_id, _identity())
        return Response(status=204)

    @bp.route("/collections/<path:collection_id>/queryables", methods=["GET"])
    def queryables(collection_id: str) -> Any:
        store = stores.get(collection_id)
        if store is None or _wants_html():
            return _pygeoapi("collection_queryables", collection_id)
        schema = {"$id": f"{base}/collections/{collection_id}/queryables", **store.queryables()}
        return Response(json.dumps(schema), 200, mimetype="application/schema+json")

    return bp


def _items_html(store: FeatureStore, collection_id: str, url: str) -> Response:
    """A page of items as pygeoapi's HTML template, but paged by the same keyset cursors
    as the JSON (pygeoapi's own view pages by OFFSET, which reads and discards every
    earlier row). The template shows "Prev" only when ``offset`` > 0: it gets 1 when
    there is a previous page."""
    from pygeoapi.flask_app import api_
    from pygeoapi.util import render_j2_template

    info, req = store.parse(request.args)
    page = store.items(info, req)
    args = {k: v for k, v in request.args.items() if k not in ("cursor", "f")}
    html = {**args, "f": "html"}
    links = [
        {
            "rel": "self",
            "type": "text/html",
            "href": f"{url}?{urlencode(html | _cursor(request.args))}",
        },
        {
            "rel": "alternate",
            "type": GEOJSON,
            "title": "this page as GeoJSON",
            "href": f"{url}?{urlencode({**args, 'f': 'json'} | _cursor(request.args))}",
        },
        {
            "rel": "collection",
            "type": "application/json",
            "title": store.product.title,
            "href": url.rsplit("/", 1)[0],
        },
    ]
    for rel, token in (("prev", page.prev), ("next", page.next)):
        if token:
            links.append(
                {
                    "rel": rel,
                    "type": "text/html",
                    "href": f"{url}?{urlencode(html | {'cursor': token})}",
                }
            )
    content = page.feature_collection() | {
        "links": links,
        "itemtype": "feature",
        "items_path": url,
        "dataset_path": url.rsplit("/", 1)[0],
        "collections_path": url.rsplit("/", 2)[0],
        "offset": 1 if page.prev else 0,
        "id_field": store.product.id_column,
    }
    body = render_j2_template(
        api_.tpl_config,
        api_.get_dataset_templates(collection_id),
        "collections/items/index.html",
        content,
        api_.default_locale,
    )
    return Response(body, 200, mimetype="text/html")


def _identity() -> str:
    return g.get("identity", "anonymous")


def _json_body() -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidParameter(f"the body is not valid JSON: {e}") from e


def _body_filter() -> tuple[dict | str, str]:
    """A CQL2 filter sent as the POST body: cql2-json, or cql2-text as plain text."""
    if request.mimetype in CQL2_TEXT_TYPES:
        return request.get_data(as_text=True), "cql2-text"
    if request.mimetype in CQL2_JSON_TYPES:
        try:
            body = json.loads(request.get_data(as_text=True))
        except ValueError as e:
            raise InvalidParameter(f"the body is not JSON: {e}") from e
        if isinstance(body, dict) and "filter" in body and "op" not in body:
            body = body["filter"]  # {"filter": {...}, "filter-lang": "cql2-json"}
        if not isinstance(body, dict | bool):
            raise InvalidParameter("the body must be a CQL2-JSON expression")
        return body, "cql2-json"  # type: ignore[return-value]
    raise InvalidParameter(
        f"unsupported body type {request.mimetype!r}: send CQL2 as "
        f"{CQL2_JSON_TYPES[1]} or {CQL2_TEXT_TYPES[0]}"
    )


def _collection_response(page: Page, url: str, args: dict[str, str]) -> Response:
    links = [
        {
            "rel": "self",
            "type": GEOJSON,
            "title": "this page",
            "href": f"{url}?{urlencode(args | _cursor(request.args))}",
        },
        {
            "rel": "alternate",
            "type": "text/html",
            "title": "this page as HTML",
            "href": f"{url}?{urlencode({**args, 'f': 'html'} | _cursor(request.args))}",
        },
        {
            "rel": "collection",
            "type": "application/json",
            "title": "the collection",
            "href": url.rsplit("/", 1)[0],
        },
    ]
    for rel, token in (("next", page.next), ("prev", page.prev)):
        if token:
            links.append(
                {
                    "rel": rel,
                    "type": GEOJSON,
                    "title": f"{rel} page",
                    "href": f"{url}?{urlencode(args | {'cursor': token})}",
                }
            )
    tail: dict[str, Any] = {"numberReturned": len(page.features)}
    if page.number_matched is not None:
        tail["numberMatched"] = page.number_matched
    tail["timeStamp"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tail["links"] = links
    body = (
        '{"type":"FeatureCollection","features":['
        + ",".join(page.features)
        + "],"
        + json.dumps(tail)[1:]
    )
    return Response(body, 200, mimetype=GEOJSON, headers={"Content-Crs": f"<{page.crs.uri}>"})


def _cursor(args: Any) -> dict[str, str]:
    return {"cursor": args["cursor"]} if "cursor" in args else {}
