"""``/collections`` and ``/collections/{id}``: every product the caller may read, described.

Built from the catalog on each request, so a product loaded, ingested or published while
the server runs is listed at once. Raster products are coverages (``layerDataType:
Coverage``, so GDAL's vector driver leaves them alone; their native grid and CRS), vector
products feature collections (``itemType: feature``, which OWSLib needs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response

from landgrid.auth.access import CollectionAccess
from landgrid.catalog import Catalog
from landgrid.coverage import describe, reader
from landgrid.crs import CRS84_URI, crs_uri
from landgrid.errors import NotFound
from landgrid.features.product import VectorProduct
from landgrid.raster.product import RasterProduct
from landgrid.web.auth import caller
from landgrid.web.http import HTML, JSON, html_alternate, json_response, wants_html
from landgrid.web.pages import page

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


def raster_collection(base: str, product: RasterProduct, years: list[int]) -> dict[str, Any]:
    href = f"{base}/collections/{product.id}"
    temporal = None
    if years:
        temporal = {
            "interval": [[f"{years[0]}-01-01T00:00:00Z", f"{years[-1]}-12-31T23:59:59Z"]],
            "trs": GREGORIAN,
            "default": f"{years[-1]}-01-01T00:00:00Z",
            "values": [f"{year}-01-01T00:00:00Z" for year in years],
        }
    native = crs_uri(product.crs)
    doc = _about(product, href)
    return doc | {
        "links": [
            *doc["links"],
            *describe.links(base, product),
            {
                "href": f"{href}/schema",
                "rel": f"{OGC_REL}/schema",
                "type": SCHEMA_JSON,
                "title": "the range: land-cover classes",
            },
        ],
        "extent": {
            "spatial": {
                "bbox": [describe.wgs84_bbox(product)],
                "crs": CRS84_URI,
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
        ],
        "extent": {"spatial": {"bbox": [product.bbox], "crs": CRS84_URI}, **temporal},
        "itemType": "feature",
        "crs": list(dict.fromkeys([*product.crs, product.storage_crs])),
        "storageCrs": product.storage_crs,
    }


def collections_blueprint(
    base: str,
    catalog: Catalog,
    access: CollectionAccess,
    listed: Sequence[Callable[[], dict[str, Any]]] = (),
) -> Blueprint:
    """``listed``: documents of collections served by other blueprints (the catalogue)."""
    bp = Blueprint("collections", __name__)

    def describe_one(collection_id: str) -> dict[str, Any] | None:
        products = catalog.products()
        if collection_id in products.raster:
            store = catalog.store(collection_id)
            return raster_collection(base, products.raster[collection_id], reader.years(store))
        if collection_id in products.vector:
            return vector_collection(base, products.vector[collection_id])
        return None

    @bp.get("/collections")
    def collections() -> Response:
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
        html = wants_html()
        doc = describe_one(collection_id) if access.readable(caller(), collection_id) else None
        if doc is None:
            raise NotFound(f"no collection {collection_id!r}")
        if html:
            raster = catalog.raster(collection_id)
            legend = raster.legend if raster else None
            return page("collection.html", base=base, title=doc["title"], doc=doc, legend=legend)
        return json_response(doc)

    @bp.get("/collections/<path:collection_id>/schema")
    def schema(collection_id: str) -> Response:
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
