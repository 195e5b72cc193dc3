"""``change-detection``: what changed between two years of a product inside an AOI."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry.base import BaseGeometry

from landgrid.analysis.change import MAX_TRANSITIONS, detect
from landgrid.analysis.source import Source, source_and_aoi
from landgrid.coverage import encode
from landgrid.errors import InvalidParameterValue
from processes.base import FileOutput, LandgridProcessor
from processes.inputs import AOI_INPUTS, PRODUCT_INPUT, year_input

COG = "image/tiff; application=geotiff; profile=cloud-optimized"

PROCESS_METADATA = {
    "id": "change-detection",
    "title": "Land-cover change between two years",
    "description": (
        "Compares year A and year B of a product inside an area of interest (pixels whose "
        "centre lies inside the AOI, on the product grid). Returns `transitions`: the "
        "transition matrix as a list of {from, to, pixels, area_m2, area_ha} (unchanged "
        "pixels included as from == to), the net change per class (area in B minus area "
        "in A) and the change raster's legend; and `change`: a Cloud-Optimized GeoTIFF of "
        "the change with its own legend and colour table: 0 = no change, 1.."
        f"{MAX_TRANSITIONS} = the observed transitions numbered by decreasing area, 254 = "
        "any rarer transition, 255 = nodata (outside the AOI, or nodata in either year). "
        "Each transition is coloured as the class it changed to."
    ),
    "version": "1.0.0",
    "keywords": ["land cover", "change detection", "transition matrix"],
    "jobControlOptions": ["async-execute", "sync-execute", "dismiss"],
    "outputTransmission": ["value", "reference"],
    "inputs": {
        "product": PRODUCT_INPUT,
        "yearA": year_input("Earlier year"),
        "yearB": year_input("Later year"),
        **AOI_INPUTS,
    },
    "outputs": {
        "transitions": {
            "title": "Transition matrix, net change, change legend",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        },
        "change": {
            "title": "Change raster (COG)",
            "schema": {"type": "string", "contentEncoding": "binary", "contentMediaType": COG},
        },
    },
    "example": {
        "inputs": {
            "product": "clcplus-backbone",
            "yearA": 2018,
            "yearB": 2021,
            "aoi": {
                "bbox": [4300000, 2690000, 4310000, 2700000],
                "crs": "http://www.opengis.net/def/crs/EPSG/0/3035",
            },
        }
    },
}


class ChangeProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def _prepare(self, inputs: dict[str, Any]) -> tuple[Source, BaseGeometry]:
        if inputs["yearA"] == inputs["yearB"]:
            raise InvalidParameterValue("inputs 'yearA' and 'yearB' must differ")
        years = [inputs["yearA"], inputs["yearB"]]
        return source_and_aoi(
            self.catalog, inputs, years, self.settings.aoi_max_km2, self.context.limits
        )

    def validate(self, inputs: dict[str, Any]) -> None:
        self._prepare(inputs)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        src, aoi = self._prepare(inputs)
        self.report(10, "comparing")
        change = detect(src, inputs["yearA"], inputs["yearB"], aoi, self.context.check)
        self.report(70, "writing the change raster")
        path = self.output_path("change.tif")
        path.write_bytes(encode.geotiff(change.raster, change.plan))
        legend = [c.model_dump(exclude={"clc_code", "technical"}) for c in change.legend]
        body = {
            "product": src.product.id,
            "yearA": inputs["yearA"],
            "yearB": inputs["yearB"],
            "pixel_area_m2": src.product.resolution**2,
            "rule": "centre-in",
            "transitions": change.transitions,
            "net_change": change.net,
            "change_legend": legend,
        }
        self.output_path("legend.json").write_text(json.dumps(legend, indent=1))
        return {"transitions": body, "change": FileOutput(path, COG)}
