"""``vectorize``: land-cover polygons of an AOI, published as a new Features collection.

The polygons go to a new PostGIS table (``vectorized_<job>``) and a vector product
definition is registered in ``<data_dir>/vector-products``, the folder the web app reads
for collections (the same mechanism as ``landgrid load-vector``). The web workers notice
the new definition on their next request (``landgrid.web.features``) and list and serve
it at once; the job's ``collection`` output links to it (OGC API - Processes Part 3 style
``rel: collection``), beside the GeoPackage download.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.polygons import load_landcover_polygons
from landgrid.analysis.source import Source, source_and_aoi
from landgrid.analysis.vectorize import polygons, write_geopackage
from landgrid.catalogue.metadata import Provider
from landgrid.crs import lonlat_bounds
from landgrid.db import engine
from landgrid.features.product import (
    VectorProduct,
    load_vector_product,
    write_vector_product,
)
from landgrid.features.table import forget
from landgrid.jobs.model import Job
from landgrid.settings import Settings
from processes.base import FileOutput, LandgridProcessor
from processes.inputs import AOI_INPUTS, PRODUCT_INPUT, year_input

GPKG = "application/geopackage+sqlite3"

PROCESS_METADATA = {
    "id": "vectorize",
    "title": "Vectorise land cover into a new Features collection",
    "description": (
        "Turns one year of a raster product inside an area of interest (pixels whose centre "
        "lies inside it) into polygons of connected pixels of one class (4-connectivity), "
        "with class code, label, year and area, optionally simplified (`tolerance`, in the "
        "product's CRS units, i.e. metres; 0 = exact pixel edges, which rasterise back to "
        "the source pixels). The polygons are written to PostGIS and published as a new "
        "OGC API - Features collection (output `collection`: a link with rel `collection`, "
        "served at once, CQL2 filters included), and as a GeoPackage download."
    ),
    "version": "1.0.0",
    "keywords": ["land cover", "vectorise", "polygons", "PostGIS", "GeoPackage"],
    "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
    "outputTransmission": ["value", "reference"],
    "inputs": {
        "product": PRODUCT_INPUT,
        "year": year_input("Reference year"),
        **AOI_INPUTS,
        "tolerance": {
            "title": "Simplification tolerance (m)",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "number", "minimum": 0, "maximum": 1000, "default": 0},
        },
    },
    "outputs": {
        "collection": {
            "title": "The new Features collection (link)",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        },
        "geopackage": {
            "title": "The polygons as GeoPackage",
            "schema": {"type": "string", "contentEncoding": "binary", "contentMediaType": GPKG},
        },
        "summary": {"title": "Polygon counts per class", "schema": {"type": "object"}},
    },
    "example": {
        "inputs": {
            "product": "clcplus-backbone",
            "year": 2021,
            "tolerance": 0,
            "aoi": {
                "bbox": [4300000, 2698000, 4302000, 2700000],
                "crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
            },
        }
    },
}


class VectorizeProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def validate(self, inputs: dict[str, Any]) -> None:
        source_and_aoi(
            self.catalog, inputs, [inputs["year"]], self.settings.aoi_max_km2, self.context.limits
        )

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        src, aoi = source_and_aoi(
            self.catalog, inputs, [inputs["year"]], self.settings.aoi_max_km2, self.context.limits
        )
        p, year = src.product, inputs["year"]
        self.report(5, "polygonising")
        tolerance = float(inputs.get("tolerance") or 0)
        items = polygons(src, year, aoi, tolerance, self.context.check)
        workdir = self.context.workdir
        assert workdir is not None  # the job's folder, named by its id
        job_id = workdir.name
        table, collection_id = published_names(job_id, p.id, year)
        self.report(40, f"writing {len(items)} polygons to PostGIS")
        try:
            db = engine(self.settings.db_url())
            load_landcover_polygons(db, table, p.crs.to_epsg(), items, check=self.context.check)
            self.report(70, "writing the GeoPackage")
            gpkg = self.output_path(f"{p.id}-{year}.gpkg")
            write_geopackage(gpkg, f"{p.id}-{year}", items, p.crs.to_string())
            collection = self._publish(src, aoi, year, job_id, table, collection_id)
            self.report(99, "published")  # a job dismissed meanwhile stops here
        except BaseException:  # failed or dismissed: leave no table or collection behind
            unpublish(self.settings, table, collection_id)
            raise
        href = f"{self.settings.url}/collections/{collection.id}"
        counts: dict[str, int] = {}
        for item in items:
            counts[str(item.code)] = counts.get(str(item.code), 0) + 1
        return {
            "collection": {
                "href": href,
                "rel": "collection",
                "type": "application/json",
                "title": collection.title,
                "id": collection.id,
                "table": table,
            },
            "geopackage": FileOutput(gpkg, GPKG),
            "summary": {"polygons": len(items), "per_code": counts},
        }

    def cleanup(self, job: Job) -> None:
        """Dismissal: drop the job's table and unpublish its collection."""
        inputs = job.inputs or {}
        if "product" in inputs and "year" in inputs:
            unpublish(self.settings, *published_names(job.id, inputs["product"], inputs["year"]))

    def _publish(
        self, src: Source, aoi: BaseGeometry, year: int, job_id: str, table: str, cid: str
    ) -> VectorProduct:
        p = src.product
        bbox = lonlat_bounds(p.crs, aoi.bounds)
        short = cid.rsplit("-", 1)[-1]
        collection = VectorProduct(
            id=cid,
            title=f"{p.title}, {year}: polygons (job {short})",
            description=f"Polygons of {p.id} {year} inside an area of interest, made by the "
            f"vectorize job {job_id}.",
            keywords=[*p.keywords, "polygons"],
            table=table,
            storage_crs=f"http://www.opengis.net/def/crs/EPSG/0/{p.crs.to_epsg()}",
            bbox=bbox,
            owner=self.owner,
            legend=p.id,
            license=p.license,
            providers=[
                *p.providers,
                Provider(name="Landgrid", url=self.settings.url, roles=["processor", "host"]),
            ],
            themes=p.themes,
            lineage=f"Polygons of connected pixels of one class (4-connectivity) of {p.id} "
            f"{year}, made by the vectorize job {job_id}.",
        )
        write_vector_product(collection, self.settings.vector_products_dir)
        forget()
        return collection


def published_names(job_id: str, product_id: str, year: int) -> tuple[str, str]:
    """(PostGIS table, collection id) of a job's polygons: derived from the job, so that
    dismissal finds them whatever state the job ended in."""
    job = re.sub(r"[^a-z0-9]", "", job_id.lower())[:32]
    return f"vectorized_{job}", f"{product_id}-{year}-{job[:8]}"


def unpublish(settings: Settings, table: str, collection_id: str) -> None:
    """Remove the collection's definition (every catalog stops listing it at its next look)
    and drop its table."""
    folder = settings.vector_products_dir
    for path in folder.glob("*.yml") if folder.is_dir() else []:
        product = load_vector_product(path)
        if product.id == collection_id and product.table == table:
            path.unlink()
    with engine(settings.db_url()).begin() as conn:
        conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
    forget()
