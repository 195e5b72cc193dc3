"""STAC API 1.0 under ``/stac``: core, collections, features, item search (GET and POST)
with CQL2 filter and sort, over the same catalogue rows as the Records API.

The landing page and the item collections are ours; every collection and item is the
document pystac built when the catalogue was refreshed (``landgrid.catalogue.stac``).
Search parameters go through the Features engine (bbox, datetime, filter, sortby, limit,
keyset cursor as ``token``); ``collections``, ``ids`` and ``intersects`` are added here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pystac
import sqlalchemy as sa
from flask import Blueprint, Response, request

from landgrid.auth.access import CollectionAccess
from landgrid.catalog import Catalog
from landgrid.catalogue.refresh import Catalogue
from landgrid.catalogue.stac import results_collection
from landgrid.catalogue.store import DocumentStore
from landgrid.errors import InvalidParameterValue, NotFound
from landgrid.features.store import Page
from landgrid.web.http import JSON, check_params, json_response
from landgrid.web.landing import OPENAPI_JSON
from landgrid.web.records import served, visibility

GEOJSON = "application/geo+json"
STAC_API = "https://api.stacspec.org/v1.0.0"
OGC = "http://www.opengis.net/spec"
CONFORMANCE = [
    f"{STAC_API}/core",
    f"{STAC_API}/collections",
    f"{STAC_API}/ogcapi-features",
    f"{STAC_API}/item-search",
    f"{STAC_API}/item-search#filter",
    f"{STAC_API}/item-search#sort",
    f"{STAC_API}/ogcapi-features#sort",
    f"{OGC}/ogcapi-features-1/1.0/conf/core",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{OGC}/cql2/1.0/conf/cql2-text",
    f"{OGC}/cql2/1.0/conf/cql2-json",
    f"{OGC}/cql2/1.0/conf/basic-cql2",
    f"{OGC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions",
    f"{OGC}/cql2/1.0/conf/spatial-functions",
    f"{OGC}/cql2/1.0/conf/temporal-functions",
]
SEARCH_ARGS = {"bbox", "datetime", "limit", "filter", "filter-lang", "filter-crs", "sortby"}
ALIASES = {"datetime": "start_datetime", "properties.datetime": "start_datetime"}


def stac_blueprint(
    base: str, catalog: Catalog, catalogue: Catalogue, access: CollectionAccess
) -> Blueprint:
    bp = Blueprint("stac", __name__)
    store: DocumentStore = catalogue.store.items
    root = f"{base}/stac"

    def visible(table: sa.Table) -> list[Any]:
        catalogue.current()
        products = catalog.products()
        return visibility(table, access, [*products.raster, *products.vector])

    def collections_docs() -> list[dict[str, Any]]:
        table = catalogue.store.records.table()
        query = (
            sa.select(sa.cast(table.c.stac, sa.Text))
            .where(table.c.stac_kind == "collection", *visible(table))
            .order_by(table.c.id)
        )
        with store.reader.connect() as conn:
            docs = [json.loads(served(t, base)) for t in conn.execute(query).scalars()]
        return [*docs, json.loads(served(json.dumps(results_collection()), base))]

    def collection_doc(collection_id: str) -> dict[str, Any]:
        found = [c for c in collections_docs() if c["id"] == collection_id]
        if not found:
            raise NotFound(f"no STAC collection {collection_id!r}")
        return found[0]

    @bp.get("/stac")
    def landing() -> Response:
        check_params([])
        cat = pystac.Catalog(
            id="landgrid",
            title="Landgrid",
            description="Land-cover products (yearly COGs), vector products and published "
            "results, as a STAC API.",
        )
        doc = cat.to_dict(include_self_link=False, transform_hrefs=False)
        doc["conformsTo"] = CONFORMANCE
        doc["links"] = [
            {"rel": "self", "href": root, "type": JSON},
            {"rel": "root", "href": root, "type": JSON},
            {"rel": "conformance", "href": f"{root}/conformance", "type": JSON},
            {"rel": "data", "href": f"{root}/collections", "type": JSON},
            {"rel": "search", "href": f"{root}/search", "type": GEOJSON, "method": "GET"},
            {"rel": "search", "href": f"{root}/search", "type": GEOJSON, "method": "POST"},
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "href": f"{root}/queryables",
                "type": "application/schema+json",
            },
            {"rel": "service-desc", "href": f"{base}/openapi", "type": OPENAPI_JSON},
            *(
                {
                    "rel": "child",
                    "href": f"{root}/collections/{c['id']}",
                    "type": JSON,
                    "title": c.get("title", c["id"]),
                }
                for c in collections_docs()
            ),
        ]
        return json_response(doc)

    @bp.get("/stac/conformance")
    def conformance() -> Response:
        check_params([])
        return json_response({"conformsTo": CONFORMANCE})

    @bp.get("/stac/collections")
    def collections() -> Response:
        check_params([])
        return json_response(
            {
                "collections": collections_docs(),
                "links": [
                    {"rel": "self", "href": f"{root}/collections", "type": JSON},
                    {"rel": "root", "href": root, "type": JSON},
                ],
            }
        )

    @bp.get("/stac/collections/<collection_id>")
    def collection(collection_id: str) -> Response:
        check_params([])
        return json_response(collection_doc(collection_id))

    @bp.get("/stac/collections/<collection_id>/items")
    def items(collection_id: str) -> Response:
        collection_doc(collection_id)  # 404 for an unknown or hidden collection
        args = request.args.to_dict()
        unknown = set(args) - SEARCH_ARGS - {"token"}
        if unknown:
            raise InvalidParameterValue(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        table = store.table()
        conditions = [table.c.collection == collection_id, *visible(table)]
        return _search(args, conditions, f"{root}/collections/{collection_id}/items", None)

    @bp.get("/stac/collections/<collection_id>/items/<item_id>")
    def item(collection_id: str, item_id: str) -> Response:
        check_params([])
        table = store.table()
        conditions = [table.c.collection == collection_id, *visible(table)]
        return Response(served(store.one(item_id, conditions), base), mimetype=GEOJSON)

    @bp.route("/stac/search", methods=["GET", "POST"])
    def search() -> Response:
        table = store.table()
        if request.method == "POST":
            body = _body()
            args, extra, body_filter = _from_body(body, table)
        else:
            args = request.args.to_dict()
            unknown = set(args) - SEARCH_ARGS - {"token", "collections", "ids", "intersects"}
            if unknown:
                raise InvalidParameterValue(f"unknown parameter(s): {', '.join(sorted(unknown))}")
            extra = _lists(table, args.pop("collections", None), args.pop("ids", None))
            if "intersects" in args:
                extra.append(_intersects(table, _json(args.pop("intersects"), "intersects")))
            body, body_filter = None, None
        return _search(args, [*extra, *visible(table)], f"{root}/search", body, body_filter)

    @bp.get("/stac/queryables")
    def queryables() -> Response:
        check_params([])
        schema = {"$id": f"{root}/queryables", **store.queryables()}
        return json_response(schema, media_type="application/schema+json")

    def _search(
        args: dict[str, str],
        conditions: list[Any],
        url: str,
        body: dict[str, Any] | None,
        body_filter: dict | None = None,
    ) -> Response:
        if "token" in args:
            args["cursor"] = args.pop("token")
        if "sortby" in args:
            terms = [_sort_term(t) for t in args.pop("sortby").split(",") if t.strip()]
            if terms:  # an empty sortby (`sortby=`, `"sortby": []`) asks for no order
                args["sortby"] = ",".join(terms)
        found, _ = store.search(args, conditions, body_filter)
        return Response(served(_item_collection(found, url, args, body), base), mimetype=GEOJSON)

    return bp


def _sort_term(term: str) -> str:
    term = term.strip()
    sign = term[0] if term[:1] in "+-" else ""
    name = term.lstrip("+-").removeprefix("properties.")
    return sign.replace("+", "") + ALIASES.get(name, name)


def _item_collection(
    found: Page, url: str, args: dict[str, str], body: dict[str, Any] | None
) -> str:
    kept = {k: v for k, v in args.items() if k != "cursor"}
    links: list[dict[str, Any]] = [
        {"rel": "root", "href": url.split("/stac")[0] + "/stac", "type": JSON}
    ]
    if found.next:
        if body is None:
            href = f"{url}?{urlencode(kept | {'token': found.next})}"
            links.append({"rel": "next", "href": href, "type": GEOJSON, "method": "GET"})
        else:
            links.append(
                {
                    "rel": "next",
                    "href": url,
                    "type": GEOJSON,
                    "method": "POST",
                    "body": {**body, "token": found.next},
                    "merge": False,
                }
            )
    tail: dict[str, Any] = {"numberReturned": len(found.features), "links": links}
    if found.number_matched is not None:
        tail["numberMatched"] = found.number_matched
    return (
        '{"type":"FeatureCollection","features":['
        + ",".join(found.features)
        + "],"
        + json.dumps(tail)[1:]
    )


def _body() -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InvalidParameterValue(f"the body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise InvalidParameterValue("the body must be a JSON object (STAC search)")
    return body


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidParameterValue(f"{name}: not JSON: {e}") from e


def _from_body(body: dict[str, Any], table: sa.Table) -> tuple[dict[str, str], list[Any], Any]:
    """The search body as query parameters plus the conditions only a body can hold."""
    known = {
        "bbox",
        "datetime",
        "limit",
        "filter",
        "filter-lang",
        "filter-crs",
        "sortby",
        "token",
        "collections",
        "ids",
        "intersects",
        "fields",
    }
    unknown = set(body) - known
    if unknown:
        raise InvalidParameterValue(f"unknown search member(s): {', '.join(sorted(unknown))}")
    args: dict[str, str] = {}
    if "bbox" in body:
        if not isinstance(body["bbox"], list):
            raise InvalidParameterValue("bbox: expected an array of 4 or 6 numbers")
        args["bbox"] = ",".join(str(v) for v in body["bbox"])
    for name in ("datetime", "token", "filter-crs"):
        if name in body:
            args[name] = str(body[name])
    if "limit" in body:
        args["limit"] = str(body["limit"])
    if "sortby" in body:
        terms = body["sortby"]
        if not isinstance(terms, list) or not all(isinstance(t, dict) for t in terms):
            raise InvalidParameterValue('sortby: expected [{"field": ..., "direction": ...}]')
        args["sortby"] = ",".join(
            ("-" if t.get("direction") == "desc" else "") + str(t.get("field")) for t in terms
        )
    body_filter = None
    lang = body.get("filter-lang", "cql2-json")
    if lang not in ("cql2-json", "cql2-text"):
        raise InvalidParameterValue("filter-lang: cql2-json or cql2-text")
    if "filter" in body:
        if lang == "cql2-text" and isinstance(body["filter"], str):
            args["filter"], args["filter-lang"] = body["filter"], "cql2-text"
        elif isinstance(body["filter"], dict):
            body_filter = body["filter"]
        else:
            raise InvalidParameterValue("filter: expected a CQL2-JSON object")
    extra = _lists(table, body.get("collections"), body.get("ids"))
    if body.get("intersects") is not None:
        extra.append(_intersects(table, body["intersects"]))
    return args, extra, body_filter


def _lists(table: sa.Table, collections: Any, ids: Any) -> list[Any]:
    out = []
    for name, value, column in (("collections", collections, "collection"), ("ids", ids, "id")):
        if value is None:
            continue
        values = value.split(",") if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise InvalidParameterValue(f"{name}: expected a list of strings")
        out.append(table.c[column].in_(values))
    return out


def _intersects(table: sa.Table, geometry: Any) -> Any:
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise InvalidParameterValue("intersects: expected a GeoJSON geometry")
    geojson = sa.func.ST_SetSRID(sa.func.ST_GeomFromGeoJSON(json.dumps(geometry)), 4326)
    return sa.func.ST_Intersects(table.c.geom, geojson)
