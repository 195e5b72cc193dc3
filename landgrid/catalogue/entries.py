"""The catalogue entries of what the server holds: products, their years, job results.

Products come from the product catalog (a raster product is a series record and a STAC
collection, each of its years a dataset record and a STAC item; a vector product a dataset
record and a STAC collection of one item). A successful job of a process that publishes
(extract, statistics, change detection, vectorize) is a result record and a STAC item of the
``results`` collection that names its job, process, inputs and owner and links its files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from landgrid.analysis.aoi import parse_aoi, project
from landgrid.catalog import Products
from landgrid.catalogue import records, stac
from landgrid.catalogue.cogs import CogFile
from landgrid.catalogue.entry import BASE, RESULTS, Entry, year_interval
from landgrid.coverage.describe import wgs84_bbox
from landgrid.features.product import VectorProduct
from landgrid.jobs.model import Job
from landgrid.raster.product import RasterProduct

PUBLISHERS = ("extract", "landcover-statistics", "change-detection", "vectorize")
INPUT_LIMIT = 4096  # inputs bigger than this (inline zones) are named, not copied
YearsOf = Callable[[str], list[int]]
CogOf = Callable[[str, int], CogFile | None]


def product_entries(products: Products, years_of: YearsOf, cog_of: CogOf) -> list[Entry]:
    entries: list[Entry] = []
    for product in products.raster.values():
        entries += raster_entries(product, years_of(product.id), cog_of)
    for vector in products.vector.values():
        entries += vector_entries(vector)
    return entries


def _external_ids(product: RasterProduct | VectorProduct) -> list[str]:
    return [f"{e.scheme}:{e.value}" if e.scheme else e.value for e in product.external_ids]


def raster_entries(product: RasterProduct, years: list[int], cog_of: CogOf) -> list[Entry]:
    bbox = wgs84_bbox(product)
    common = {
        "source": "product",
        "keywords": product.keywords,
        "product": product.id,
        "license": product.license.id,
        "bbox": bbox,
        "collection": product.id,
        "external_ids": _external_ids(product),
    }
    start, end = year_interval(years[0], years[-1]) if years else (None, None)
    series = Entry(
        id=product.id,
        type="series",
        title=product.title,
        description=product.description,
        record=_located(records.raster_record(product, years), bbox),
        time_start=start,
        time_end=end,
        stac_kind="collection",
        stac=stac.raster_collection(product, years),
        **common,  # type: ignore[arg-type]
    )
    entries = [series]
    for year in years:
        cog = cog_of(product.id, year)
        first, last = year_interval(year, year)
        entries.append(
            Entry(
                id=f"{product.id}-{year}",
                type="dataset",
                title=f"{product.title}, {year}",
                description=product.description,
                year=year,
                record=_located(records.year_record(product, year, cog), bbox),
                time_start=first,
                time_end=last,
                stac_kind="item",
                stac_collection=product.id,
                stac=stac.year_item(product, year, cog),
                **(common | {"external_ids": []}),  # the ids name the product, not a year
            )
        )
    return entries


def vector_entries(product: VectorProduct) -> list[Entry]:
    """The record and STAC collection of a vector product, and the row of its one STAC
    item (the features), which is no record of its own."""
    start, end = [_instant(v) for v in product.interval] if product.interval else [None, None]
    common: dict[str, Any] = {
        "source": "product",
        "type": "dataset",
        "title": product.title,
        "description": product.description,
        "keywords": product.keywords,
        "product": product.id,
        "license": product.license.id if product.license else "other",
        "time_start": start,
        "time_end": end,
        "bbox": product.bbox,
        "owner": product.owner,
        "collection": product.id,
        "external_ids": _external_ids(product),
    }
    item_id = f"{product.id}-features"
    return [
        Entry(
            id=product.id,
            record=_located(records.vector_record(product), product.bbox),
            stac_kind="collection",
            stac=stac.vector_collection(product),
            **common,
        ),
        Entry(
            id=item_id,
            record=None,
            stac_kind="item",
            stac_collection=product.id,
            stac=stac.vector_item(product, item_id),
            **common,
        ),
    ]


def result_entry(job: Job, products: Products) -> Entry | None:
    """The record of a published result; None for a job that published nothing."""
    if job.status != "successful" or job.process_id not in PUBLISHERS:
        return None
    inputs = job.inputs or {}
    product_id = inputs.get("product")
    raster = products.raster.get(product_id) if isinstance(product_id, str) else None
    vector = products.vector.get(product_id) if isinstance(product_id, str) else None
    source = raster or vector
    years = sorted(
        int(y)
        for key in ("year", "yearA", "yearB")
        for y in (inputs[key] if isinstance(inputs.get(key), list) else [inputs.get(key)])
        if isinstance(y, int)
    )
    start, end = year_interval(years[0], years[-1]) if years else (None, None)
    bbox = _aoi_bbox(inputs) or (wgs84_bbox(raster) if raster else vector.bbox if vector else None)
    short = job.id[:8]
    what = f"{product_id} {'-'.join(map(str, years))}".strip() if product_id else "zones"
    title = f"{job.process_id} of {what} (job {short})"
    outputs = (job.results or {}).get("outputs", {})
    job_href = f"{BASE}/jobs/{job.id}"
    assets = {
        name: (f"{job_href}/results/{name}", output["mediaType"])
        for name, output in outputs.items()
        if "file" in output
    }
    links = [
        {"href": job_href, "rel": "related", "type": "application/json", "title": "the job"},
        {
            "href": f"{BASE}/processes/{job.process_id}",
            "rel": "related",
            "type": "application/json",
            "title": f"the process {job.process_id}",
        },
        {
            "href": f"{job_href}/results?f=json",
            "rel": f"{records.OGC_REL}/results",
            "type": "application/json",
            "title": "the results",
        },
    ]
    for output in outputs.values():
        value = output.get("value")
        if isinstance(value, dict) and value.get("rel") == "collection" and "id" in value:
            collection = f"{BASE}/collections/{value['id']}"
            links.append(
                {
                    "href": collection,
                    "rel": "describes",
                    "type": "application/json",
                    "title": "the published Features collection",
                }
            )
            assets["features"] = (f"{collection}/items?f=json&limit=10000", records.GEOJSON)
    described = {
        "job": job.id,
        "process": job.process_id,
        "owner": job.owner,
        "inputs": _summary(inputs),
    }
    record_links = records.record_links(f"job-{job.id}", title) + links
    enclosures = [
        {"href": href, "rel": "enclosure", "type": media, "title": name}
        for name, (href, media) in assets.items()
    ]
    record: dict[str, Any] = {
        "id": f"job-{job.id}",
        "type": "Feature",
        "conformsTo": [records.RECORD_CORE],
        "time": (
            {"interval": [start.date().isoformat(), end.date().isoformat()]}
            if start and end
            else None
        ),
        "geometry": records.bbox_polygon(bbox) if bbox else None,
        "properties": {
            "type": "result",
            "title": title,
            "description": f"Outputs of the {job.process_id} job {job.id}, run by {job.owner}.",
            "keywords": [job.process_id, *([product_id] if product_id else [])],
            "license": source.license.id if source and source.license else "other",
            **described,
            "formats": [{"name": name, "mediaType": media} for name, (_, media) in assets.items()],
        },
        "links": record_links + enclosures + (records.license_links(source) if source else []),
    }
    records.with_time_stamps(record, job.created, job.finished or job.updated)
    return Entry(
        id=f"job-{job.id}",
        source="result",
        type="result",
        title=title,
        description=record["properties"]["description"],
        keywords=record["properties"]["keywords"],
        product=product_id if isinstance(product_id, str) else None,
        year=years[0] if len(years) == 1 else None,
        process=job.process_id,
        job=job.id,
        license=record["properties"]["license"],
        created=job.created,
        updated=job.finished or job.updated,
        time_start=start,
        time_end=end,
        bbox=bbox,
        owner=job.owner,
        record=record,
        stac_kind="item",
        stac_collection=RESULTS,
        stac=stac.result_item(
            f"job-{job.id}",
            title,
            bbox,
            (start, end),
            job.created,
            described,
            assets,
            links,
        ),
    )


def _aoi_bbox(inputs: dict[str, Any]) -> list[float] | None:
    """The AOI's box in CRS84; None without one (or when it cannot be read)."""
    from pyproj import CRS

    aoi = inputs.get("aoi")
    if not isinstance(aoi, dict):
        return None
    try:
        geom, crs = parse_aoi(aoi, inputs.get("aoiCrs"))
        w, s, e, n = project(geom, crs, CRS.from_user_input("OGC:CRS84")).bounds
    except Exception:  # a job's inputs were checked when it ran: never fail a record
        return None
    return [round(w, 6), round(s, 6), round(e, 6), round(n, 6)]


def _summary(inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs, each big one (inline zones, say) replaced by its size."""
    out = {}
    for name, value in inputs.items():
        size = len(json.dumps(value, default=str))
        out[name] = value if size <= INPUT_LIMIT else {"omitted": f"{size} bytes, see the job"}
    return out


def _located(record: dict[str, Any], bbox: list[float] | None) -> dict[str, Any]:
    record["geometry"] = records.bbox_polygon(bbox) if bbox else None
    return record


def _instant(value: str | None) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
