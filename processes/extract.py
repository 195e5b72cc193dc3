"""``extract``: a product cut to an area of interest, reprojected, as a COG or netCDF file.

The pixels come from ``flows.clip`` (exact polygon mask, centre-in; nearest-neighbour
reprojection); encoding reuses the coverage encoders, so an extract and a coverage response
of the same area are the same file format with the same legend attributes.
"""

from __future__ import annotations

import json
from typing import Any

from flows.clip import clip
from landgrid.coverage import encode
from processes.aoi import AOI_INPUTS, parse_crs
from processes.base import FileOutput, LandgridProcessor
from processes.catalog import PRODUCT_INPUT, as_list, source_and_aoi, year_input

FORMATS = {
    "cog": ("extract.tif", "image/tiff; application=geotiff; profile=cloud-optimized"),
    "netcdf": ("extract.nc", "application/x-netcdf"),
}
MASK_RULE = "pixels whose centre lies outside the area of interest are nodata"

PROCESS_METADATA = {
    "id": "extract",
    "title": "Extract a land-cover product for an area of interest",
    "description": (
        "Cuts one or more years of a raster product to an area of interest with the exact "
        "polygon as mask (" + MASK_RULE + "), reprojects it (nearest neighbour, classes are "
        "never blended) to `outputCrs` (the product's CRS by default, where the pixels are "
        "the stored ones), and returns a Cloud-Optimized GeoTIFF (one band per year, colour "
        "table) or a CF netCDF (time axis, flag_values/flag_meanings legend), plus a JSON "
        "sidecar with the legend, grid and provenance. Both outputs are files served by "
        "reference. The AOI's area (equal-area EPSG:6933) is limited by the server."
    ),
    "version": "1.0.0",
    "keywords": ["land cover", "extract", "clip", "download", "GeoTIFF", "netCDF"],
    "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
    "outputTransmission": ["reference"],
    "inputs": {
        "product": PRODUCT_INPUT,
        "year": year_input("Reference year(s)", 20),
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
            "schema": {"enum": list(FORMATS), "default": "cog"},
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
        source_and_aoi(self.settings, inputs, as_list(inputs["year"]))
        if inputs.get("outputCrs"):
            parse_crs(inputs["outputCrs"], "outputCrs")

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        years = sorted(set(as_list(inputs["year"])))
        src, aoi = source_and_aoi(self.settings, inputs, years)
        crs = parse_crs(inputs["outputCrs"], "outputCrs") if inputs.get("outputCrs") else None
        self.report(10, "reading")
        result = clip(src, years, aoi, crs)
        fmt = inputs.get("format") or "cog"
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
