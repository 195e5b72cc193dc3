"""``/collections`` and ``/collections/{id}``: every product the caller may read, described.

Built from the catalog on each request, so a product loaded, ingested or published while
the server runs is listed at once. Raster products are coverages (``layerDataType:
Coverage``, so GDAL's vector driver leaves them alone; their native grid and CRS), vector
products feature collections (``itemType: feature``, which OWSLib needs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response, request

from landgrid.auth.access import CollectionAccess
from landgrid.catalog import Catalog
from landgrid.coverage import describe, reader
from landgrid.coverage.query import CoverageQuery
from landgrid.coverage.timeaxis import select_years
from landgrid.crs import CRS84_URI, crs_uri
from landgrid.errors import NotFound
from landgrid.features.product import VectorProduct
from landgrid.raster.product import RasterProduct
from landgrid.web.auth import caller
from landgrid.web.http import HTML, JSON, check_params, html_alternate, json_response, wants_html
from landgrid.web.pages import page
from landgrid.web.tiles import collection_links

OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CATALOGUE = "catalogue"  # the id of the OGC API - Records collection of every product


def _self_links(href: str) -> list[dict[str, str]]:
    return [
        {"href": href, "rel": "self", "type": JSON, "title": "this document"},
        html_alternate(href),
    ]


def _about(product: RasterProduct | VectorProduct, href: str) -> dict[str, Any]:
    """What every collection document starts with: its identity, its catalogue metadata
    (licence, providers, themes) and the links to its licence and its catalogue record."""
    base = href.rsplit("/collections/", 1)[0]
    doc: dict[str, Any] = {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "keywords": product.keywords,
        "links": [*_self_links(href), *metadata_links(base, product)],
    }
    if product.license:
        doc["license"] = product.license.id
    if product.providers:
        doc["providers"] = [p.model_dump(exclude_none=True) for p in product.providers]
    if product.themes:
        doc["themes"] = [t.model_dump(exclude_none=True) for t in product.themes]
    return doc


def metadata_links(base: str, product: RasterProduct | VectorProduct) -> list[dict[str, str]]:
    """``rel=license`` to the licence text, ``rel=describedby`` to the catalogue record."""
    links = []
    if product.license:
        title = product.license.title or product.license.id
        links.append({"href": product.license.url, "rel": "license", "type": HTML, "title": title})
    links.append(
        {
            "href": f"{base}/collections/{CATALOGUE}/items/{product.id}",
            "rel": "describedby",
            "type": GEOJSON,
            "title": "the catalogue record (OGC API - Records)",
        }
    )
    return links


def raster_collection(
    base: str, product: RasterProduct, years: list[int], datetime: str | None = None
) -> dict[str, Any]:
    """``datetime``: the years its coverage links select (GDAL follows them)."""
    href = f"{base}/collections/{product.id}"
    temporal = describe.temporal_extent(years) if years else None
    native = crs_uri(product.crs)
    doc = _about(product, href)
    return doc | {
        "links": [
            *doc["links"],
            *describe.links(base, product, datetime),
            {
                "href": f"{href}/schema",
                "rel": f"{OGC_REL}/schema",
                "type": SCHEMA_JSON,
                "title": "the range: land-cover classes",
            },
            *collection_links(base, product.id, raster=True),
        ],
        "extent": {
            "spatial": {
                "bbox": [describe.wgs84_bbox(product)],
                "crs": CRS84_URI,
                "storageCrsBbox": [describe.storage_bbox(product)],
                "grid": describe.extent_grid(product),
            },
            **({"temporal": temporal} if temporal else {}),
        },
        "layerDataType": "Coverage",
        "crs": [native, CRS84_URI],
        "storageCrs": native,
    }


def vector_collection(base: str, product: VectorProduct) -> dict[str, Any]:
    href = f"{base}/collections/{product.id}"
    doc = _about(product, href)
    temporal = {}
    if product.time_column:  # the loaded interval, else open (still a time-enabled collection)
        interval = product.interval or [None, None]
        temporal = {"temporal": {"interval": [interval], "trs": GREGORIAN}}
    return doc | {
        "links": [
            *doc["links"],
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": "items"},
            {"href": f"{href}/items?f=html", "rel": "items", "type": "text/html", "title": "items"},
            {
                "href": f"{href}/queryables",
                "rel": f"{OGC_REL}/queryables",
                "type": SCHEMA_JSON,
                "title": "queryables",
            },
            *collection_links(base, product.id, raster=False),
        ],
        "extent": {"spatial": {"bbox": [product.bbox], "crs": CRS84_URI}, **temporal},
        "itemType": "feature",
        "crs": list(dict.fromkeys([*product.crs, product.storage_crs])),
        "storageCrs": product.storage_crs,
    }


def legend_of(catalog: Catalog, collection_id: str) -> list[dict[str, Any]] | None:
    """The classes that colour a product on its page: a raster's own legend, or for a
    vector product the legend of the raster its ``code`` property comes from."""
    raster = catalog.raster(collection_id)
    if raster is None:
        vector = catalog.vector(collection_id)
        raster = catalog.raster(vector.legend) if vector and vector.legend else None
    return [c.model_dump() for c in raster.legend] if raster else None


def collections_blueprint(
    base: str,
    catalog: Catalog,
    access: CollectionAccess,
    listed: Sequence[Callable[[], dict[str, Any]]] = (),
) -> Blueprint:
    """``listed``: documents of collections served by other blueprints (the catalogue)."""
    bp = Blueprint("collections", __name__)

    def describe_one(collection_id: str, datetime: str | None = None) -> dict[str, Any] | None:
        products = catalog.products()
        if collection_id in products.raster:
            store = catalog.store(collection_id)
            years = reader.years(store)
            if datetime is not None:  # a 400 for a bad value, as the coverage would answer
                select_years(years, CoverageQuery(datetime=datetime))
            return raster_collection(base, products.raster[collection_id], years, datetime)
        if collection_id in products.vector:
            return vector_collection(base, products.vector[collection_id])
        return None

    @bp.get("/collections")
    def collections() -> Response:
        check_params(["f"])
        html = wants_html()
        products = catalog.products()
        ids = access.readable_ids(caller(), [*products.raster, *products.vector])
        docs = [doc for cid in ids if (doc := describe_one(cid)) is not None]
        docs += [describe() for describe in listed]
        body = {"links": _self_links(f"{base}/collections"), "collections": docs}
        if html:
            return page("collections.html", base=base, title="Collections", doc=body)
        return json_response(body)

    @bp.get("/collections/<path:collection_id>")
    def collection(collection_id: str) -> Response:
        if not access.readable(caller(), collection_id):
            raise NotFound(f"no collection {collection_id!r}")
        check_params(["f", "datetime"] if catalog.raster(collection_id) else ["f"])
        html = wants_html()
        doc = describe_one(collection_id, request.args.get("datetime"))
        if doc is None:
            raise NotFound(f"no collection {collection_id!r}")
        if html:
            return page(
                "collection.html",
                base=base,
                title=doc["title"],
                doc=doc,
                legend=legend_of(catalog, collection_id),
                years=[int(v[:4]) for v in doc["extent"].get("temporal", {}).get("values", [])],
                filter=request.args.get("filter"),
            )
        return json_response(doc)

    @bp.get("/collections/<path:collection_id>/schema")
    def schema(collection_id: str) -> Response:
        check_params(["f"])
        html = wants_html(json_type=SCHEMA_JSON)
        product = catalog.raster(collection_id)
        if product is None or not access.readable(caller(), collection_id):
            raise NotFound(f"no coverage collection {collection_id!r}")
        body = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base}/collections/{collection_id}/schema",
            "title": product.title,
            "type": "object",
            "properties": describe.fields(product),
        }
        if html:
            return page(
                "schema.html",
                base=base,
                title=f"{product.title}: range",
                schema=body,
                collection_href=f"{base}/collections/{collection_id}",
                collection_title=product.title,
            )
        return json_response(body, media_type=SCHEMA_JSON)

    return bp
