"""STAC 1.1 documents, built with pystac: products as collections, years as items.

A raster product is a collection with ``item_assets`` (the yearly COG, its legend as
``classification:classes``, its grid by the projection extension, its band by the raster
extension); each year an item whose assets are that COG (file size and checksum), the PNG
preview as thumbnail, and whose links lead to the OGC coverage endpoints. Vector products
are collections of one item (the features as GeoJSON); published job results are items of
the ``results`` collection with their files as assets. Hrefs of ours are on ``BASE``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pystac
from pystac.extensions.classification import Classification, ClassificationExtension
from pystac.extensions.file import FileExtension
from pystac.extensions.projection import ProjectionExtension

from landgrid.catalogue.cogs import CogFile
from landgrid.catalogue.entry import BASE, RESULTS, year_interval
from landgrid.catalogue.metadata import ProductMetadata
from landgrid.catalogue.records import GEOJSON, GEOTIFF, OGC_REL, bbox_polygon
from landgrid.features.product import VectorProduct
from landgrid.raster.product import RasterProduct

RASTER = "https://stac-extensions.github.io/raster/v2.0.0/schema.json"  # pystac has v1.1
WORLD = [-180.0, -90.0, 180.0, 90.0]


def _dict(obj: pystac.STACObject, self_href: str, parent: str) -> dict[str, Any]:
    """The document, its hierarchy links ours (pystac would point root at the object)."""
    doc = obj.to_dict(include_self_link=False, transform_hrefs=False)
    media = GEOJSON if isinstance(obj, pystac.Item) else "application/json"
    hierarchy = [
        {"rel": "self", "href": self_href, "type": media},
        {"rel": "root", "href": f"{BASE}/stac", "type": "application/json"},
        {"rel": "parent", "href": parent, "type": "application/json"},
    ]
    doc["links"] = hierarchy + [
        link for link in doc["links"] if link["rel"] not in ("self", "root", "parent")
    ]
    return doc


def _providers(meta: ProductMetadata) -> list[pystac.Provider]:
    return [
        pystac.Provider(p.name, p.description, list(p.roles), p.url)  # type: ignore[arg-type]
        for p in meta.providers
    ]


def _license(obj: pystac.Collection, meta: ProductMetadata) -> None:
    if meta.license:
        title = meta.license.title or meta.license.id
        obj.add_link(pystac.Link("license", meta.license.url, "text/html", title))


def _legend(product: RasterProduct) -> list[Classification]:
    return [
        Classification.create(
            value=c.code,
            name=c.label.replace(" ", "-").replace(",", "").replace("+", "plus")[:64],
            title=c.label,
            description=c.label,
            color_hint=c.colour.lstrip("#").upper(),
            nodata=True if c.nodata else None,
        )
        for c in product.legend
    ]


def _raster_fields(product: RasterProduct) -> dict[str, Any]:
    """Band description and grid, the same on the item asset definition and each asset."""
    return {
        "bands": [{"name": "class", "nodata": product.nodata, "data_type": product.dtype}],
        "raster:spatial_resolution": product.resolution,
        "raster:sampling": "area",
    }


def raster_collection(product: RasterProduct, years: list[int]) -> dict[str, Any]:
    first, last = year_interval(years[0], years[-1]) if years else (None, None)
    collection = pystac.Collection(
        id=product.id,
        title=product.title,
        description=product.description or product.title,
        extent=pystac.Extent(
            pystac.SpatialExtent([_wgs84(product)]), pystac.TemporalExtent([[first, last]])
        ),
        license=product.license.id,
        keywords=product.keywords,
        providers=_providers(product),
    )
    definition = pystac.ItemAssetDefinition.create(
        title="The year, whole, as a Cloud-Optimised GeoTIFF with the legend's colour table",
        description=None,
        media_type=GEOTIFF,
        roles=["data"],
        extra_fields=_raster_fields(product),
    )
    collection.item_assets = {
        "data": definition,
        "thumbnail": pystac.ItemAssetDefinition.create(
            title="Preview", description=None, media_type="image/png", roles=["thumbnail"]
        ),
    }
    definition = collection.item_assets["data"]  # now owned by the collection
    classes = ClassificationExtension.ext(definition, add_if_missing=True)
    classes.classes = _legend(product)
    projection = ProjectionExtension.summaries(collection, add_if_missing=True)
    projection.code = [product.crs.to_string()]
    collection.stac_extensions.append(RASTER)
    collection.summaries.add("years", years)
    href = f"{BASE}/stac/collections/{product.id}"
    hierarchy = (href, f"{BASE}/stac")
    collection.add_link(pystac.Link("items", f"{href}/items", GEOJSON, "yearly items"))
    _license(collection, product)
    _ogc_links(collection, product.id, product.title)
    return _dict(collection, *hierarchy)


def _ogc_links(obj: pystac.STACObject, collection_id: str, title: str) -> None:
    base = f"{BASE}/collections/{collection_id}"
    obj.add_link(pystac.Link("describedby", base, "application/json", f"{title} (OGC API)"))
    obj.add_link(
        pystac.Link(
            "describedby",
            f"{BASE}/collections/catalogue/items/{collection_id}",
            GEOJSON,
            "catalogue record (OGC API - Records)",
        )
    )


def _wgs84(product: RasterProduct) -> list[float]:
    from landgrid.coverage.describe import wgs84_bbox

    return wgs84_bbox(product)


def year_item(product: RasterProduct, year: int, cog: CogFile | None) -> dict[str, Any]:
    start, end = year_interval(year, year)
    bbox = _wgs84(product)
    item = pystac.Item(
        id=f"{product.id}-{year}",
        geometry=bbox_polygon(bbox),
        bbox=bbox,
        datetime=None,
        start_datetime=start,
        end_datetime=end,
        properties={"title": f"{product.title}, {year}", "year": year},
        collection=product.id,
    )
    item.common_metadata.license = product.license.id
    coverage = f"{BASE}/collections/{product.id}/coverage"
    thumbnail = pystac.Asset(
        f"{coverage}?f=png&datetime={year}&width=512",
        "Preview",
        None,
        "image/png",
        ["thumbnail"],
    )
    item.add_asset("thumbnail", thumbnail)
    projection = ProjectionExtension.ext(item, add_if_missing=True)
    projection.apply(
        code=product.crs.to_string(),
        shape=[product.height, product.width],
        transform=list(product.transform)[:6],
        bbox=list(product.bounds),
    )
    if cog is not None:
        asset = pystac.Asset(
            cog.href,
            f"{product.title}, {year} (COG)",
            None,
            GEOTIFF,
            ["data"],
            extra_fields=_raster_fields(product),
        )
        item.add_asset("data", asset)
        FileExtension.ext(asset, add_if_missing=True).apply(size=cog.size, checksum=cog.checksum)
        ClassificationExtension.ext(asset, add_if_missing=True).classes = _legend(product)
        item.stac_extensions.append(RASTER)
    href = f"{BASE}/stac/collections/{product.id}"
    hierarchy = (f"{href}/items/{item.id}", href)
    item.add_link(pystac.Link("collection", href, "application/json", product.title))
    item.add_link(
        pystac.Link(
            f"{OGC_REL}/coverage",
            f"{coverage}?f=geotiff&datetime={year}",
            "image/tiff; application=geotiff",
            "OGC API - Coverages",
        )
    )
    item.add_link(
        pystac.Link(
            "preview", f"{coverage}?f=html&datetime={year}", "text/html", "preview and legend"
        )
    )
    item.add_link(
        pystac.Link(
            "describedby",
            f"{BASE}/collections/catalogue/items/{item.id}",
            GEOJSON,
            "catalogue record (OGC API - Records)",
        )
    )
    return _dict(item, *hierarchy)


def vector_collection(product: VectorProduct) -> dict[str, Any]:
    interval = [_instant(v) for v in product.interval] if product.interval else [None, None]
    collection = pystac.Collection(
        id=product.id,
        title=product.title,
        description=product.description or product.title,
        extent=pystac.Extent(
            pystac.SpatialExtent([product.bbox]), pystac.TemporalExtent([interval])
        ),
        license=product.license.id if product.license else "other",
        keywords=product.keywords,
        providers=_providers(product),
    )
    collection.item_assets = {
        "features": pystac.ItemAssetDefinition.create(
            title="Features (GeoJSON, OGC API - Features)",
            description=None,
            media_type=GEOJSON,
            roles=["data"],
        )
    }
    href = f"{BASE}/stac/collections/{product.id}"
    hierarchy = (href, f"{BASE}/stac")
    collection.add_link(pystac.Link("items", f"{href}/items", GEOJSON, "items"))
    _license(collection, product)
    _ogc_links(collection, product.id, product.title)
    return _dict(collection, *hierarchy)


def vector_item(product: VectorProduct, item_id: str) -> dict[str, Any]:
    """The whole vector product as one item: its features as GeoJSON."""
    interval = [_instant(v) for v in product.interval] if product.interval else [None, None]
    item = pystac.Item(
        id=item_id,
        geometry=bbox_polygon(product.bbox),
        bbox=product.bbox,
        datetime=None if interval[0] or interval[1] else dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        start_datetime=interval[0],
        end_datetime=interval[1],
        properties={"title": product.title},
        collection=product.id,
    )
    features = f"{BASE}/collections/{product.id}/items?f=json&limit=10000"
    item.add_asset("features", pystac.Asset(features, "Features", None, GEOJSON, ["data"]))
    href = f"{BASE}/stac/collections/{product.id}"
    hierarchy = (f"{href}/items/{item.id}", href)
    item.add_link(pystac.Link("collection", href, "application/json", product.title))
    return _dict(item, *hierarchy)


def results_collection() -> dict[str, Any]:
    collection = pystac.Collection(
        id=RESULTS,
        title="Published results",
        description="Outputs of finished jobs (extract, statistics, change detection, "
        "vectorised collections); each caller sees their own.",
        extent=pystac.Extent(pystac.SpatialExtent([WORLD]), pystac.TemporalExtent([[None, None]])),
        license="other",
    )
    href = f"{BASE}/stac/collections/{RESULTS}"
    hierarchy = (href, f"{BASE}/stac")
    collection.add_link(pystac.Link("items", f"{href}/items", GEOJSON, "items"))
    return _dict(collection, *hierarchy)


def result_item(
    item_id: str,
    title: str,
    bbox: list[float] | None,
    interval: tuple[dt.datetime | None, dt.datetime | None],
    created: dt.datetime,
    properties: dict[str, Any],
    assets: dict[str, tuple[str, str]],
    links: list[dict[str, str]],
) -> dict[str, Any]:
    start, end = interval
    item = pystac.Item(
        id=item_id,
        geometry=bbox_polygon(bbox) if bbox else None,
        bbox=bbox,
        datetime=None if start and end else created,
        start_datetime=start,
        end_datetime=end,
        properties={"title": title, **properties},
        collection=RESULTS,
    )
    item.common_metadata.created = created
    for name, (href, media) in assets.items():
        item.add_asset(name, pystac.Asset(href, name, None, media, ["data"]))
    href = f"{BASE}/stac/collections/{RESULTS}"
    hierarchy = (f"{href}/items/{item_id}", href)
    item.add_link(pystac.Link("collection", href, "application/json", "Published results"))
    for link in links:
        item.add_link(pystac.Link(link["rel"], link["href"], link.get("type"), link.get("title")))
    return _dict(item, *hierarchy)


def _instant(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
