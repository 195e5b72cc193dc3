"""HTTP edge of the features API: ``/items``, ``/items/{id}``, ``/queryables`` and the
Part 4 transactions (``landgrid.features.editor``) of every vector product.

Items answer GeoJSON with ``Content-Crs``, take CQL2 as a POST body, page by opaque keyset
cursors (``next``/``prev`` links, also in the HTML pages) and answer bad input with 400.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from landgrid.catalog import Catalog
from landgrid.catalogue.entry import CATALOGUE
from landgrid.features.editor import FeatureEditor, ReadOnly
from landgrid.features.errors import InvalidParameter, NotFound
from landgrid.features.settings import FeatureSettings
from landgrid.features.store import FeatureStore, Page
from landgrid.guards import Limits
from landgrid.web.auth import caller
from landgrid.web.collections import legend_of
from landgrid.web.conformance import OGC
from landgrid.web.http import check_params, wants_html
from landgrid.web.inputs import body_text, json_body
from landgrid.web.pages import page as html_page

GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
CQL2_JSON_TYPES = ("application/json", "application/query-cql-json", "application/cql2+json")
CQL2_TEXT_TYPES = ("text/plain", "application/cql2-text")
FEATURES = [
    f"{OGC}/ogcapi-features-1/1.0/conf/core",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{OGC}/ogcapi-features-1/1.0/conf/html",
    f"{OGC}/ogcapi-features-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-features-2/1.0/conf/crs",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    f"{OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{OGC}/cql2/1.0/conf/cql2-text",
    f"{OGC}/cql2/1.0/conf/cql2-json",
    f"{OGC}/cql2/1.0/conf/basic-cql2",
    f"{OGC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{OGC}/cql2/1.0/conf/case-insensitive-comparison",
    f"{OGC}/cql2/1.0/conf/accent-insensitive-comparison",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions-plus",
    f"{OGC}/cql2/1.0/conf/spatial-functions",
    f"{OGC}/cql2/1.0/conf/temporal-functions",
    f"{OGC}/cql2/1.0/conf/property-property",
    f"{OGC}/cql2/1.0/conf/arithmetic",
]
TRANSACTIONS = [
    f"{OGC}/ogcapi-features-4/1.0/conf/create-replace-delete",
    f"{OGC}/ogcapi-features-4/1.0/conf/update",
]


def features_conformance(catalog: Catalog) -> list[str]:
    """Features, CRS, filtering and CQL2 while a vector product is served; Part 4 while one
    of them is editable."""
    vectors = catalog.products().vector.values()
    if not vectors:
        return []
    return FEATURES + (TRANSACTIONS if any(p.editable for p in vectors) else [])


def features_blueprint(
    base: str, catalog: Catalog, db_url: str, fs: FeatureSettings, limits: Limits
) -> Blueprint:
    """Items, item, queryables and transactions of every vector product in the catalog."""
    bp = Blueprint("features", __name__)
    stores: dict[str, FeatureStore] = {}

    def store_of(collection_id: str) -> FeatureStore:
        """The product's store (one per definition: a changed definition gets a new one)."""
        product = catalog.vector(collection_id)
        if product is None:
            if collection_id == CATALOGUE and request.method != "GET":  # records: read only
                raise ReadOnly(f"the {CATALOGUE} collection is read only")
            if catalog.raster(collection_id) is not None:
                raise NotFound(f"collection {collection_id!r} is a coverage: it has no items")
            raise NotFound(f"no collection {collection_id!r}")
        store = stores.get(collection_id)
        if store is None or store.product != product:
            store = stores[collection_id] = FeatureStore(db_url, product, fs, limits)
        return store

    @bp.after_app_request
    def allow(response: Response) -> Response:
        """OPTIONS and a 405 (RFC 9110 wants ``Allow`` on it) list what the resource allows
        now (Part 4 ``options-response``): the item routes exist for every collection, but
        only editable ones change. App-wide: a 405 of the routing has no view."""
        if request.method != "OPTIONS" and response.status_code != 405:
            return response
        adapter = current_app.create_url_adapter(request)
        if adapter is None:
            return response
        methods = set(adapter.allowed_methods())
        try:
            endpoint, args = adapter.match(method="GET")
        except HTTPException:
            return response
        if endpoint == f"{bp.name}.item":
            product = catalog.vector(args.get("collection_id", ""))
            if product is not None and not product.editable:
                methods -= {"PUT", "PATCH", "DELETE"}
        elif request.path.startswith(f"/collections/{CATALOGUE}/items"):
            methods -= {"POST", "PUT", "PATCH", "DELETE"}  # the records' GET routes only
        response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    @bp.route("/collections/<collection_id>/items", methods=["GET", "POST"])
    def items(collection_id: str) -> Any:
        store = store_of(collection_id)
        url = f"{base}/collections/{collection_id}/items"
        is_filter_post = request.method == "POST" and request.mimetype != GEOJSON
        if request.method == "POST" and not is_filter_post:
            new_id = FeatureEditor(store, limits).create(
                json_body(), request.headers.get("Content-Crs"), caller().identity
            )
            return Response(status=201, headers={"Location": f"{url}/{new_id}"})
        html = request.method == "GET" and wants_html(("json", "geojson"), GEOJSON)
        body_filter, body_lang = _body_filter() if is_filter_post else (None, None)
        info, req = store.parse(request.args, body_filter, body_lang)
        page = store.items(info, req)
        kept = {k: v for k, v in request.args.items() if k not in ("cursor", "offset", "f")}
        if body_filter is not None:
            kept |= {
                "filter": json.dumps(req.filter, separators=(",", ":")),
                "filter-lang": "cql2-json",
            }
        if html:
            return _items_html(store, page, url, kept, legend_of(catalog, collection_id))
        return _collection_response(page, url, kept)

    @bp.route("/collections/<collection_id>/items/<item_id>", methods=["GET"])
    def item(collection_id: str, item_id: str) -> Any:
        store = store_of(collection_id)
        html = wants_html(("json", "geojson"), GEOJSON)
        check_params(["f", "crs"])
        text, crs = store.item(item_id, request.args.get("crs"))
        collection = f"{base}/collections/{collection_id}"
        if html:
            return html_page(
                "item.html",
                base=base,
                title=f"{store.product.title}: {item_id}",
                feature=json.loads(text),
                collection_href=collection,
                collection_title=store.product.title,
                legend=legend_of(catalog, collection_id),
            )
        href = f"{collection}/items/{item_id}"
        links = [
            {"rel": "self", "type": GEOJSON, "href": href},
            {"rel": "alternate", "type": "text/html", "href": f"{href}?f=html"},
            {"rel": "collection", "type": "application/json", "href": collection},
        ]
        body = text[:-1] + ',"links":' + json.dumps(links) + "}"
        return Response(body, 200, mimetype=GEOJSON, headers={"Content-Crs": f"<{crs.uri}>"})

    @bp.route("/collections/<collection_id>/items/<item_id>", methods=["PUT", "PATCH", "DELETE"])
    def edit_item(collection_id: str, item_id: str) -> Any:
        editor = FeatureEditor(store_of(collection_id), limits)
        crs = request.headers.get("Content-Crs")
        identity = caller().identity
        if request.method == "PUT":
            editor.replace(item_id, json_body(), crs, identity)
        elif request.method == "PATCH":
            editor.update(item_id, json_body(), crs, identity)
        else:
            editor.delete(item_id, identity)
        return Response(status=204)

    @bp.route("/collections/<collection_id>/queryables", methods=["GET"])
    def queryables(collection_id: str) -> Any:
        store = store_of(collection_id)
        check_params(["f"])
        html = wants_html(json_type=SCHEMA_JSON)
        schema = {"$id": f"{base}/collections/{collection_id}/queryables", **store.queryables()}
        if html:
            return html_page(
                "schema.html",
                base=base,
                title=f"{store.product.title}: queryables",
                schema=schema,
                collection_href=f"{base}/collections/{collection_id}",
                collection_title=store.product.title,
            )
        return Response(json.dumps(schema), 200, mimetype=SCHEMA_JSON)

    return bp


def _items_html(
    store: FeatureStore, page: Page, url: str, args: dict[str, str], legend: list | None
) -> Response:
    """A page of items as a map and a table, paged by the same keyset cursors as the JSON."""
    html = {**args, "f": "html"}
    links = [
        {"rel": rel, "href": f"{url}?{urlencode(html | {'cursor': token})}"}
        for rel, token in (("prev", page.prev), ("next", page.next))
        if token
    ]
    features = [json.loads(f) for f in page.features]
    columns = list(features[0]["properties"]) if features else []
    return html_page(
        "items.html",
        base=url.rsplit("/collections/", 1)[0],
        title=f"{store.product.title}: items",
        features=features,
        columns=columns,
        links=links,
        items_href=url,
        json_href=f"{url}?{urlencode(args | _cursor(request.args))}",
        args=args,
        legend=legend,
        collection_href=url.rsplit("/", 1)[0],
        collection_title=store.product.title,
    )


def _body_filter() -> tuple[dict | str, str]:
    """A CQL2 filter sent as the POST body: cql2-json, or cql2-text as plain text."""
    if request.mimetype in CQL2_TEXT_TYPES:
        return body_text(), "cql2-text"
    if request.mimetype in CQL2_JSON_TYPES:
        body = json_body(what="filter")
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
    body = feature_collection_text(page, url, args)
    return Response(body, 200, mimetype=GEOJSON, headers={"Content-Crs": f"<{page.crs.uri}>"})


def feature_collection_text(
    page: Page, url: str, args: dict[str, str], collection_title: str = "the collection"
) -> str:
    """The page as GeoJSON text: the features as the database wrote them, then the members
    and links of an OGC API items page (``args``: the query that the links keep)."""
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
            "title": collection_title,
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
    return (
        '{"type":"FeatureCollection","features":['
        + ",".join(page.features)
        + "],"
        + json.dumps(tail)[1:]
    )


def _cursor(args: Any) -> dict[str, str]:
    """Where this page starts: its cursor and offset (next/prev links start afresh)."""
    return {k: args[k] for k in ("cursor", "offset") if k in args}
