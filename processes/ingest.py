"""``ingest`` (operators): add or replace one year of a raster product from a file or URL.

Everything is checked before the store is touched (``landgrid.raster.store.ingest_year``:
readable, georeferenced, overlapping, every value in the legend, plausible year), and the
store is replaced atomically, so a bad file ends the job ``failed`` with the exact reason
and changes nothing. Operator-only: the auth policy (``config/auth-policy.yml``) gives
``execute`` of this process to the ``operator`` role; in ``open`` mode (development) anyone
may run it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from landgrid.errors import InvalidParameterValue
from landgrid.raster.store import (
    IngestError,
    StoreError,
    YearExists,
    create_store,
    ingest_year,
)
from processes.base import LandgridProcessor
from processes.inputs import PRODUCT_INPUT, year_input

PROCESS_METADATA = {
    "id": "ingest",
    "title": "Ingest a raster year into a product (operators)",
    "description": (
        "OPERATORS ONLY (the auth policy restricts it to the operator role). Adds one reference "
        "year of a raster product (or replaces it, with `replace`) from a GeoTIFF or netCDF "
        "given as a path on the server or an http(s) URL (read through GDAL's /vsicurl/). The "
        "source may be in any CRS and grid: it is checked completely first (readable single "
        "band, CRS and geotransform, overlap with the product, every value a legend code or "
        "nodata, year 1900-2100), then resampled by nearest neighbour onto the product grid "
        "into a copy of the store that replaces it atomically. A bad source fails the job with "
        "the exact reason and leaves the product unchanged. The new year is served at once "
        "(collection extent, coverage, catalogue)."
    ),
    "version": "1.0.0",
    "keywords": ["ingestion", "operators", "raster"],
    "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
    "outputTransmission": ["value"],
    "inputs": {
        "product": PRODUCT_INPUT,
        "year": year_input("Reference year"),
        "source": {
            "title": "Raster file path on the server, or http(s) URL",
            "minOccurs": 1,
            "maxOccurs": 1,
            "schema": {"type": "string", "minLength": 1, "maxLength": 2048},
        },
        "band": {
            "title": "Band to read",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        },
        "replace": {
            "title": "Replace the year",
            "description": "A year the product already has is refused unless this is true.",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "boolean", "default": False},
        },
    },
    "outputs": {
        "report": {
            "title": "What was ingested",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        },
    },
    "example": {
        "inputs": {
            "product": "corine-land-cover",
            "year": 2012,
            "source": "/data/incoming/ls100_12.tif",
        }
    },
}


def gdal_path(source: str) -> str:
    return f"/vsicurl/{source}" if source.startswith(("http://", "https://")) else source


class IngestProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def validate(self, inputs: dict[str, Any]) -> None:
        products = self.catalog.defined_rasters()
        if inputs["product"] not in products:
            raise InvalidParameterValue(
                f"input 'product': no raster product {inputs['product']!r}; "
                f"defined: {sorted(products)}"
            )
        src = inputs["source"]
        if not src.startswith(("http://", "https://")) and not Path(src).is_file():
            raise InvalidParameterValue(f"input 'source': no file {src!r} on the server")

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        self.validate(inputs)
        product = self.catalog.defined_rasters()[inputs["product"]]
        store = self.catalog.store(product.id)
        if not store.exists():
            store.parent.mkdir(parents=True, exist_ok=True)
            create_store(product, store)

        def progress(done: int, total: int) -> None:
            self.report(int(99 * done / total), f"step {done} of {total} (checks, then writes)")

        try:
            report = ingest_year(
                product,
                store,
                gdal_path(inputs["source"]),
                inputs["year"],
                progress,
                band=int(inputs.get("band") or 1),
                replace=bool(inputs.get("replace")),
            )
        except YearExists as exc:
            raise InvalidParameterValue(f"input 'year': {exc} (set 'replace': true)") from exc
        except (IngestError, StoreError) as exc:
            raise InvalidParameterValue(f"not ingested, product unchanged: {exc}") from exc
        return {
            "report": {
                "product": report.product,
                "year": report.year,
                "source": inputs["source"],
                "source_crs": report.source_crs,
                "source_shape": list(report.source_shape),
                "replaced": report.replaced,
                "time_index": report.time_index,
                "histogram": {str(k): v for k, v in report.histogram.items()},
                "nodata_pixels": report.nodata_pixels,
                "seconds": round(report.seconds, 3),
            }
        }
