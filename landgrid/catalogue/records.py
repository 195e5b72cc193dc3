"""OGC API - Records documents (``recordGeoJSON``) of products, product years and results.

Each record says what a harvester needs to find and use the resource: what it is (type,
title, keywords, themes, external ids), where and when (geometry, time), under which
licence (SPDX id, ``rel=license``), from whom (contacts, providers), how it was made
(lineage; for a result, its job, process, inputs and owner), and how to get it (links to
the OGC API endpoints and the files). Hrefs of ours are on ``entry.BASE``.
"""

from __future__ import annotations

from typing import Any

from landgrid.catalogue.cogs import CogFile
from landgrid.catalogue.entry import BASE, CATALOGUE, rfc3339, year_interval
from landgrid.catalogue.metadata import ProductMetadata
from landgrid.features.product import VectorProduct
from landgrid.raster.product import RasterProduct

RECORD_CORE = "http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
GEOTIFF = "image/tiff; application=geotiff; profile=cloud-optimized"
GPKG = "application/geopackage+sqlite3"
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0"


def bbox_polygon(bbox: list[float]) -> dict[str, Any]:
    w, s, e, n = bbox
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def record_links(record_id: str, title: str) -> list[dict[str, str]]:
    """self, its HTML page, and the one ``rel=collection`` to the catalogue it belongs to."""
    href = f"{BASE}/collections/{CATALOGUE}/items/{record_id}"
    return [
        {"href": href, "rel": "self", "type": GEOJSON, "title": title},
        {"href": f"{href}?f=html", "rel": "alternate", "type": HTML, "title": "HTML"},
        {
            "href": f"{BASE}/collections/{CATALOGUE}",
            "rel": "collection",
            "type": JSON,
            "title": "the catalogue",
        },
    ]


def metadata_properties(meta: ProductMetadata) -> dict[str, Any]:
    """The Records properties every product carries (licence, themes, contacts ...)."""
    props: dict[str, Any] = {"keywords": meta.keywords, "language": {"code": "en"}}
    if meta.themes:
        props["themes"] = [t.model_dump(exclude_none=True) for t in meta.themes]
    if meta.external_ids:
        props["externalIds"] = [e.model_dump(exclude_none=True) for e in meta.external_ids]
    contacts = [contact(c) for c in meta.contacts]
    contacts += [
        {"organization": p.name, "roles": p.roles, "links": [about(p.url)]} for p in meta.providers
    ]
    if contacts:
        props["contacts"] = contacts
    props["license"] = meta.license.id if meta.license else "other"
    if meta.lineage:
        props["lineage"] = meta.lineage
    return props


def contact(c: Any) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k in ("name", "organization") if (v := getattr(c, k))}
    if not out:
        out["organization"] = "unnamed"
    if c.email:
        out["emails"] = [{"value": c.email}]
    if c.url:
        out["links"] = [about(c.url)]
    out["roles"] = c.roles
    return out


def about(url: str) -> dict[str, str]:
    return {"href": url, "rel": "about", "type": HTML}


def license_links(meta: ProductMetadata) -> list[dict[str, str]]:
    if meta.license is None:
        return []
    title = meta.license.title or meta.license.id
    return [{"href": meta.license.url, "rel": "license", "type": HTML, "title": title}]


def collection_links(collection_id: str, title: str) -> list[dict[str, str]]:
    href = f"{BASE}/collections/{collection_id}"
    return [
        {"href": href, "rel": "describes", "type": JSON, "title": f"{title} (OGC API)"},
        {
            "href": f"{BASE}/stac/collections/{collection_id}",
            "rel": "alternate",
            "type": JSON,
            "title": "STAC collection",
        },
    ]


def raster_record(product: RasterProduct, years: list[int]) -> dict[str, Any]:
    """A raster product: the series of its yearly layers."""
    time = None
    if years:
        first, last = year_interval(years[0], years[-1])
        time = {"interval": [first.date().isoformat(), last.date().isoformat()]}
    href = f"{BASE}/collections/{product.id}"
    links = [
        *record_links(product.id, product.title),
        *license_links(product),
        *collection_links(product.id, product.title),
        {
            "href": f"{href}/coverage?f=geotiff",
            "rel": f"{OGC_REL}/coverage",
            "type": "image/tiff; application=geotiff",
            "title": "the coverage",
        },
        {
            "href": f"{href}/schema",
            "rel": f"{OGC_REL}/schema",
            "type": "application/schema+json",
            "title": "the legend (range)",
        },
        *(
            {
                "href": f"{BASE}/collections/{CATALOGUE}/items/{product.id}-{year}",
                "rel": "item",
                "type": GEOJSON,
                "title": f"{product.title}, {year}",
            }
            for year in years
        ),
    ]
    return {
        "id": product.id,
        "type": "Feature",
        "conformsTo": [RECORD_CORE],
        "time": time,
        "geometry": None,  # set by the caller from the entry's box
        "properties": {
            "type": "series",
            "title": product.title,
            "description": product.description,
            **metadata_properties(product),
            "formats": [
                {"name": "GeoTIFF (COG)", "mediaType": GEOTIFF},
                {"name": "netCDF", "mediaType": "application/x-netcdf"},
                {"name": "CoverageJSON", "mediaType": "application/vnd.cov+json"},
                {"name": "PNG", "mediaType": "image/png"},
            ],
            "years": years,
            "crs": product.crs.to_string(),
            "resolution": product.resolution,
            "legend": [c.model_dump(exclude_defaults=True) for c in product.legend],
        },
        "links": links,
    }


def year_record(product: RasterProduct, year: int, cog: CogFile | None) -> dict[str, Any]:
    """One year of a raster product: a dataset downloadable whole (its COG)."""
    first, last = year_interval(year, year)
    record_id = f"{product.id}-{year}"
    href = f"{BASE}/collections/{product.id}"
    links = [
        *record_links(record_id, f"{product.title}, {year}"),
        *license_links(product),
        {
            "href": f"{BASE}/collections/{CATALOGUE}/items/{product.id}",
            "rel": "up",
            "type": GEOJSON,
            "title": f"{product.title} (all years)",
        },
        {
            "href": f"{href}/coverage?f=geotiff&datetime={year}",
            "rel": f"{OGC_REL}/coverage",
            "type": "image/tiff; application=geotiff",
            "title": f"the coverage of {year}",
        },
        {
            "href": f"{href}/coverage?f=png&datetime={year}&width=512",
            "rel": "preview",
            "type": "image/png",
            "title": "preview",
        },
        {
            "href": f"{BASE}/stac/collections/{product.id}/items/{record_id}",
            "rel": "alternate",
            "type": GEOJSON,
            "title": "STAC item",
        },
    ]
    if cog is not None:
        links.append(
            {
                "href": cog.href,
                "rel": "enclosure",
                "type": GEOTIFF,
                "title": f"{year}, whole, as a Cloud-Optimised GeoTIFF",
                "length": cog.size,
            }
        )
    return {
        "id": record_id,
        "type": "Feature",
        "conformsTo": [RECORD_CORE],
        "time": {"interval": [first.date().isoformat(), last.date().isoformat()]},
        "geometry": None,
        "properties": {
            "type": "dataset",
            "title": f"{product.title}, {year}",
            "description": f"{product.description} Reference year {year}.".strip(),
            **metadata_properties(product),
            "formats": [{"name": "GeoTIFF (COG)", "mediaType": GEOTIFF}],
            "product": product.id,
            "year": year,
        },
        "links": links,
    }


def vector_record(product: VectorProduct) -> dict[str, Any]:
    href = f"{BASE}/collections/{product.id}"
    time = None
    if product.interval:
        time = {"interval": [v or ".." for v in product.interval]}
    return {
        "id": product.id,
        "type": "Feature",
        "conformsTo": [RECORD_CORE],
        "time": time,
        "geometry": None,
        "properties": {
            "type": "dataset",
            "title": product.title,
            "description": product.description,
            **metadata_properties(product),
            "formats": [{"name": "GeoJSON", "mediaType": GEOJSON}],
        },
        "links": [
            *record_links(product.id, product.title),
            *license_links(product),
            *collection_links(product.id, product.title),
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": "features"},
            {
                "href": f"{href}/queryables",
                "rel": f"{OGC_REL}/queryables",
                "type": "application/schema+json",
                "title": "queryables",
            },
        ],
    }


def with_time_stamps(record: dict[str, Any], created: Any, updated: Any) -> dict[str, Any]:
    props = record["properties"]
    if created is not None:
        props["created"] = rfc3339(created)
    if updated is not None:
        props["updated"] = rfc3339(updated)
    return record
