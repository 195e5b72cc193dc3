"""``extract``: a product cut to an area of interest, reprojected, as a file to download.

Raster products: the pixels come from ``landgrid.analysis.clip`` (exact polygon mask, centre-in;
nearest-neighbour reprojection) as a COG or netCDF; encoding reuses the coverage encoders,
so an extract and a coverage response of the same area are the same file format with the
same legend attributes. Vector products: the features cut to the AOI by PostGIS
(``landgrid.analysis.clip_features``), as a GeoPackage.
"""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import box

from landgrid.analysis.aoi import area_km2, checked_aoi, project_aoi
from landgrid.analysis.clip import clip
from landgrid.analysis.clip_features import clip_features, storage_crs
from landgrid.analysis.source import as_list, source, source_and_aoi
from landgrid.coverage import encode
from landgrid.crs import CRS84, parse_crs
from landgrid.db import engine
from landgrid.errors import InvalidParameterValue
from landgrid.features.product import VectorProduct
from landgrid.features.table import describe
from processes.base import FileOutput, LandgridProcessor
from processes.inputs import AOI_INPUTS, PRODUCT_INPUT, year_input

FORMATS = {
    "cog": ("extract.tif", "image/tiff; application=geotiff; profile=cloud-optimized"),
    "netcdf": ("extract.nc", "application/x-netcdf"),
}
GPKG = "application/geopackage+sqlite3"
VECTOR_FORMATS = ("geopackage",)
MASK_RULE = "pixels whose centre lies outside the area of interest are nodata"

PROCESS_METADATA = {
    "id": "extract",
    "title": "Extract a land-cover product for an area of interest",
    "description": (
        "Raster products: cuts one or more years (`year`, required) to an area of interest "
        "with the exact polygon as mask (" + MASK_RULE + "), reprojects them (nearest "
        "neighbour, classes are never blended) to `outputCrs` (the product's CRS by default, "
        "where the pixels are the stored ones), and returns `coverage`: a Cloud-Optimized "
        "GeoTIFF (one band per year, colour table) or a CF netCDF (time axis, "
        "flag_values/flag_meanings legend). Vector products (Features collections of this "
        "server): cuts the features that intersect the AOI to its polygon (parts outside are "
        "removed), reprojected to `outputCrs` (the storage CRS by default), and returns "
        "`features`: a GeoPackage with the collection's properties; `year` is optional and "
        "selects features by their time (products with a time column). Both kinds add "
        "`metadata`, a JSON sidecar (legend or properties, grid or feature count, "
        "provenance). Outputs are files served by reference. The AOI's area (equal-area "
        "EPSG:6933) is limited by the server."
    ),
    "version": "1.0.0",
    "keywords": ["land cover", "extract", "clip", "download", "GeoTIFF", "netCDF"],
    "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
    "outputTransmission": ["reference"],
    "inputs": {
        "product": PRODUCT_INPUT,
        "year": year_input("Reference year(s) (required for raster products)", 20)
        | {"minOccurs": 0},
        **AOI_INPUTS,
        "outputCrs": {
            "title": "Output CRS",
            "description": "Default: the product's CRS.",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"type": "string"},
        },
        "format": {
            "title": "Output format",
            "minOccurs": 0,
            "maxOccurs": 1,
            "description": "cog or netcdf for raster products (default cog), geopackage for "
            "vector products (the default for them).",
            "schema": {"enum": [*FORMATS, *VECTOR_FORMATS]},
        },
    },
    "outputs": {
        "coverage": {
            "title": "The extract (COG or netCDF)",
            "schema": {
                "type": "string",
                "contentEncoding": "binary",
                "contentMediaType": FORMATS["cog"][1],
            },
        },
        "features": {
            "title": "The extract of a vector product (GeoPackage)",
            "schema": {"type": "string", "contentEncoding": "binary", "contentMediaType": GPKG},
        },
        "metadata": {
            "title": "Legend, grid and provenance",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        },
    },
    "example": {
        "inputs": {
            "product": "clcplus-backbone",
            "year": [2018, 2021],
            "outputCrs": "EPSG:4326",
            "format": "cog",
            "aoi": {
                "type": "Polygon",
                "coordinates": [
                    [[9.80, 47.30], [9.85, 47.30], [9.85, 47.34], [9.80, 47.34], [9.80, 47.30]]
                ],
            },
        }
    },
}


class ExtractProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def validate(self, inputs: dict[str, Any]) -> None:
        if self.vector_product(inputs["product"]) is not None:
            self._vector_inputs(inputs)
            return
        self._raster_inputs(inputs)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        if self.vector_product(inputs["product"]) is not None:
            return self._run_vector(inputs)
        years, src, aoi, crs, fmt = self._raster_inputs(inputs)
        self.report(10, "reading")
        result = clip(src, years, aoi, crs, self.context.check)
        name, media_type = FORMATS[fmt]
        self.report(60, f"writing {fmt}")
        encoder = encode.geotiff if fmt == "cog" else encode.netcdf
        path = self.output_path(name)
        path.write_bytes(encoder(result.data, result.plan))
        meta_path = self.output_path("metadata.json")
        meta_path.write_text(json.dumps(metadata(result, aoi.area), indent=1))
        return {
            "coverage": FileOutput(path, media_type),
            "metadata": FileOutput(meta_path, "application/json"),
        }

    def vector_product(self, product_id: str) -> VectorProduct | None:
        """The vector product of that id, unless a raster product has it; the catalog is
        the caller's, so a collection they may not read is no vector product here."""
        if product_id in self.catalog.defined_rasters():
            return None
        return self.catalog.vector(product_id)

    def _raster_inputs(self, inputs: dict[str, Any]) -> tuple:
        if inputs.get("year") is None:
            source(self.catalog, inputs["product"])  # an unknown product says so first
            raise InvalidParameterValue("input 'year': required for raster products")
        fmt = inputs.get("format") or "cog"
        if fmt not in FORMATS:
            raise InvalidParameterValue(
                f"input 'format': {fmt!r} is for vector products; raster products: {list(FORMATS)}"
            )
        years = sorted(set(as_list(inputs["year"])))
        src, aoi = source_and_aoi(
            self.catalog, inputs, years, self.settings.aoi_max_km2, self.context.limits
        )
        crs = (
            parse_crs(inputs["outputCrs"], "input 'outputCrs'") if inputs.get("outputCrs") else None
        )
        return years, src, aoi, crs, fmt

    def _vector_inputs(self, inputs: dict[str, Any]) -> tuple:
        product = self.vector_product(inputs["product"])
        assert product is not None
        fmt = inputs.get("format") or "geopackage"
        if fmt not in VECTOR_FORMATS:
            raise InvalidParameterValue(
                f"input 'format': {product.id!r} is a vector product: {list(VECTOR_FORMATS)}"
            )
        years = sorted(set(as_list(inputs["year"]))) if inputs.get("year") is not None else []
        if years and not product.time_column:
            raise InvalidParameterValue(
                f"input 'year': vector product {product.id!r} has no time to select by"
            )
        geom, crs = checked_aoi(
            inputs["aoi"],
            inputs.get("aoiCrs"),
            self.settings.aoi_max_km2,
            "aoi",
            self.context.limits,
        )
        lonlat = project_aoi(geom, crs, CRS84)
        if not lonlat.intersects(box(*product.bbox)):
            raise InvalidParameterValue(
                f"input 'aoi': the area of interest is outside product {product.id!r} "
                f"(extent {product.bbox} in CRS84)"
            )
        out = (
            parse_crs(inputs["outputCrs"], "input 'outputCrs'") if inputs.get("outputCrs") else None
        )
        return product, years, geom, crs, out

    def _run_vector(self, inputs: dict[str, Any]) -> dict[str, Any]:
        product, years, geom, crs, out = self._vector_inputs(inputs)
        self.report(10, "cutting the features")
        with engine(self.settings.db_url()).connect() as conn:
            stored = storage_crs(describe(conn, product))
        native = project_aoi(geom, crs, stored)
        path = self.output_path(f"{product.id}.gpkg")
        result = clip_features(
            self.settings.db_url(), product, native, out, path, years, self.context.check
        )
        meta = {
            "product": product.id,
            "title": product.title,
            "description": product.description,
            "years": years or None,
            "crs": (out or stored).to_string(),
            "features": result.features,
            "geometry_type": result.geometry_type,
            "properties": result.properties,
            "clip": "features intersecting the area of interest, cut to its polygon",
            "aoi_area_km2": round(area_km2(geom, crs), 6),
        }
        meta_path = self.output_path("metadata.json")
        meta_path.write_text(json.dumps(meta, indent=1))
        return {
            "features": FileOutput(path, GPKG),
            "metadata": FileOutput(meta_path, "application/json"),
        }


def metadata(result: Any, aoi_area_m2: float) -> dict[str, Any]:
    plan = result.plan
    p, g = plan.product, plan.grid
    return {
        "product": p.id,
        "title": p.title,
        "licence": p.licence,
        "provider": p.provider.model_dump(),
        "years": list(plan.years),
        "crs": g.crs.to_string(),
        "crs_wkt": g.crs.to_wkt(),
        "transform": list(g.transform)[:6],
        "width": g.width,
        "height": g.height,
        "bbox": list(g.bounds),
        "nodata": p.nodata,
        "mask": MASK_RULE,
        "resampling": "nearest",
        "aoi_area_m2_product_crs": round(aoi_area_m2, 3),
        "pixels_inside": int(result.inside.sum()),
        "legend": [c.model_dump() for c in p.legend],
    }
