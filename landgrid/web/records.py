"""OGC API - Records Part 1: the ``catalogue`` collection of every product, product year
and published result the caller may see.

A searchable catalogue (records-api with ``q``, ``type``, ``externalIds``, ``ids``,
``bbox``, ``datetime``, ``sortby`` and CQL2 ``filter``, JSON and HTML): the records are
rows of the catalogue table, queried through the Features engine, each answered as its
stored document. Owned results are visible to their owner and admins only, like their
collections.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, request

from landgrid.auth.access import Caller, CollectionAccess
from landgrid.catalog import Catalog
from landgrid.catalogue.entry import BASE, CATALOGUE
from landgrid.catalogue.refresh import Catalogue
from landgrid.catalogue.store import DocumentStore
from landgrid.errors import InvalidParameterValue, NotFound
from landgrid.features.store import Page
from landgrid.web.auth import caller
from landgrid.web.conformance import OGC
from landgrid.web.features import feature_collection_text
from landgrid.web.http import HTML, JSON, check_params, html_alternate, json_response, wants_html
from landgrid.web.pages import page

GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"
RECORDS = f"{OGC}/ogcapi-records-1/1.0/conf"
RECORDS_CONFORMANCE = [
    f"{OGC}/ogcapi-features-1/1.0/conf/core",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{RECORDS}/record-core",
    f"{RECORDS}/record-collection",
    f"{RECORDS}/record-core-query-parameters",
    f"{RECORDS}/records-api",
    f"{RECORDS}/sorting",
    f"{RECORDS}/filtering",
    f"{RECORDS}/searchable-catalog",
    f"{RECORDS}/searchable-catalog/sorting",
    f"{RECORDS}/searchable-catalog/filtering",
    f"{RECORDS}/json",
    f"{RECORDS}/html",
    f"{RECORDS}/oas30",
    f"{OGC}/ogcapi-features-3/1.0/conf/queryables",
    f"{OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{OGC}/cql2/1.0/conf/cql2-text",
    f"{OGC}/cql2/1.0/conf/cql2-json",
    f"{OGC}/cql2/1.0/conf/basic-cql2",
]
OWN = ("q", "type", "externalIds", "ids")
EXTERNAL_ID = re.compile(r"^([^:]+:)?[^:]*$")
SORTABLE = (
    "id",
    "type",
    "title",
    "product",
    "year",
    "process",
    "license",
    "created",
    "updated",
    "time_start",
    "time_end",
)


def records_conformance(catalog: Catalog) -> list[str]:
    """The Records classes while the catalogue describes something (a product)."""
    products = catalog.products()
    return RECORDS_CONFORMANCE if products.raster or products.vector else []


def visibility(
    table: sa.Table, access: CollectionAccess, ids: list[str], who: Caller | None = None
) -> list[Any]:
    """WHERE terms: the rows of collections the caller may read, and their own results."""
    who = who or caller()
    if access.open_mode or who.is_admin:
        return []
    readable = access.readable_ids(who, ids)
    return [
        sa.or_(
            table.c.owner == who.identity,
            sa.and_(table.c.owner.is_(None), table.c.collection.in_(readable)),
        )
    ]


def served(text: str, base: str) -> str:
    """A stored document with our hrefs on this server's URL."""
    return text.replace(BASE, base)


def catalogue_collection(base: str) -> dict[str, Any]:
    href = f"{base}/collections/{CATALOGUE}"
    return {
        "id": CATALOGUE,
        "type": "Collection",
        "itemType": "record",
        "title": "Landgrid catalogue",
        "description": "Every product, every product year and every published result "
        "this server holds (for each caller, what they may see).",
        "keywords": ["catalogue", "land cover", "products", "results"],
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": _crs84()},
            "temporal": {"interval": [[None, None]]},
        },
        "defaultSortOrder": [{"field": "id", "direction": "asc"}],
        "links": [
            {"href": href, "rel": "self", "type": JSON, "title": "this catalogue"},
            html_alternate(href),
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": "records"},
            {"href": f"{href}/items?f=html", "rel": "items", "type": HTML, "title": "records"},
            {
                "href": f"{href}/queryables",
                "rel": f"{OGC_REL}/queryables",
                "type": SCHEMA_JSON,
                "title": "queryables",
            },
            {
                "href": f"{href}/sortables",
                "rel": f"{OGC_REL}/sortables",
                "type": SCHEMA_JSON,
                "title": "sortables",
            },
            {
                "href": f"{base}/stac",
                "rel": "related",
                "type": JSON,
                "title": "the same catalogue as a STAC API",
            },
            {
                "href": "https://docs.ogc.org/is/20-004r1/20-004r1.html",
                "rel": "license",
                "type": HTML,
                "title": "each record names its own licence",
            },
        ],
    }


def _crs84() -> str:
    return "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _list(value: str | None, name: str) -> list[str]:
    terms = [t.strip() for t in (value or "").split(",") if t.strip()]
    if value is not None and not terms:
        raise InvalidParameterValue(f"{name}: expected a comma-separated list")
    return terms


def own_conditions(table: sa.Table, args: dict[str, str]) -> list[Any]:
    """WHERE terms of the Records parameters the Features engine does not know."""
    conditions: list[Any] = []
    if "q" in args:
        terms = _list(args["q"], "q")
        phrases = [r"\s+".join(re.escape(w) for w in t.lower().split()) for t in terms]
        conditions.append(sa.or_(*(table.c.search.op("~")(p) for p in phrases)))
    if "type" in args:
        types = _list(args["type"], "type")
        if any(len(t) > 64 for t in types):
            raise InvalidParameterValue("type: values are at most 64 characters")
        conditions.append(table.c.type.in_(types))
    if "ids" in args:
        conditions.append(table.c.id.in_(_list(args["ids"], "ids")))
    if "externalIds" in args:
        matches = []
        for value in _list(args["externalIds"], "externalIds"):
            if not EXTERNAL_ID.match(value):
                raise InvalidParameterValue(f"externalIds: {value!r} is not [scheme:]value")
            scheme, colon, rest = value.partition(":")
            ids = table.c.external_ids
            if not colon:  # a value: any scheme
                matches.append(
                    sa.or_(
                        sa.literal(value) == sa.func.any(ids),
                        sa.func.array_to_string(ids, "\x1f").op("~")(
                            f"(^|\x1f)[^\x1f:]*:{re.escape(value)}(\x1f|$)"
                        ),
                    )
                )
            elif rest:  # scheme and value
                matches.append(sa.literal(value) == sa.func.any(ids))
            else:  # the scheme only
                pattern = f"(^|\x1f){re.escape(scheme)}:"
                matches.append(sa.func.array_to_string(ids, "\x1f").op("~")(pattern))
        conditions.append(sa.or_(*matches))
    return conditions


def records_blueprint(
    base: str, catalog: Catalog, catalogue: Catalogue, access: CollectionAccess
) -> Blueprint:
    bp = Blueprint("records", __name__)
    store: DocumentStore = catalogue.store.records
    href = f"{base}/collections/{CATALOGUE}"

    def conditions() -> list[Any]:
        catalogue.current()
        products = catalog.products()
        return visibility(store.table(), access, [*products.raster, *products.vector])

    @bp.get(f"/collections/{CATALOGUE}")
    def collection() -> Response:
        check_params(["f"])
        html = wants_html()
        doc = catalogue_collection(base)
        if html:
            return page("collection.html", base=base, title=doc["title"], doc=doc, legend=None)
        return json_response(doc)

    @bp.get(f"/collections/{CATALOGUE}/items")
    def items() -> Response:
        html = wants_html(("json", "geojson"), GEOJSON)
        args = request.args.to_dict()
        own = {k: args.pop(k) for k in OWN if k in args}
        table = store.table()
        found, _ = store.search(args, [*conditions(), *own_conditions(table, own)])
        kept = {k: v for k, v in request.args.items() if k not in ("cursor", "f")}
        if html:
            return _records_page(base, found, kept)
        return Response(
            served(_collection(found, f"{href}/items", kept), base),
            mimetype=GEOJSON,
            headers={"Content-Crs": f"<{_crs84()}>"},
        )

    @bp.get(f"/collections/{CATALOGUE}/items/<path:record_id>")
    def item(record_id: str) -> Response:
        check_params(["f"])
        html = wants_html(("json", "geojson"), GEOJSON)
        text = served(store.one(record_id, conditions()), base)
        if html:
            record = json.loads(text)
            return page(
                "record.html", base=base, title=record["properties"]["title"], record=record
            )
        return Response(text, mimetype=GEOJSON)

    @bp.get(f"/collections/{CATALOGUE}/queryables")
    def queryables() -> Response:
        check_params(["f"])
        return _schema(f"{href}/queryables", store.queryables()["properties"])

    @bp.get(f"/collections/{CATALOGUE}/sortables")
    def sortables() -> Response:
        check_params(["f"])
        props = store.queryables()["properties"]
        return _schema(f"{href}/sortables", {k: v for k, v in props.items() if k in SORTABLE})

    def _schema(schema_id: str, properties: dict[str, Any]) -> Response:
        html = wants_html(json_type=SCHEMA_JSON)
        body = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": schema_id,
            "type": "object",
            "title": "Landgrid catalogue",
            "properties": properties,
            "additionalProperties": False,
        }
        if html:
            return page(
                "schema.html",
                base=base,
                title="Catalogue: " + schema_id.rsplit("/")[-1],
                schema=body,
                collection_href=href,
                collection_title="Catalogue",
            )
        return json_response(body, media_type=SCHEMA_JSON)

    return bp


def not_found(record_id: str) -> NotFound:
    return NotFound(f"no record {record_id!r}")


def _collection(found: Page, url: str, args: dict[str, str]) -> str:
    return feature_collection_text(found, url, args, "the catalogue")


def _records_page(base: str, found: Page, args: dict[str, str]) -> Response:
    url = f"{base}/collections/{CATALOGUE}/items"
    html = {**args, "f": "html"}
    links = [
        {"rel": rel, "href": f"{url}?{urlencode(html | {'cursor': token})}"}
        for rel, token in (("prev", found.prev), ("next", found.next))
        if token
    ]
    records = [json.loads(served(f, base)) for f in found.features]
    return page(
        "records.html",
        base=base,
        title="Catalogue: records",
        records=records,
        links=links,
        args=args,
    )
