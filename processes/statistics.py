"""``landcover-statistics``: per zone and class, pixel count, area and share, per year.

The computation (centre-in rasterisation + ``numpy.bincount`` in row blocks) is in
``landgrid.analysis.zonal``; this module describes the process, checks its inputs and shapes the
answer as JSON and CSV.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np

from landgrid.analysis.source import Source, as_list, source
from landgrid.analysis.zonal import METHODS, Zone, class_counts
from landgrid.analysis.zones import load_zones
from processes.base import FileOutput, LandgridProcessor
from processes.inputs import CRS_SCHEMA, PRODUCT_INPUT, ZONES_SCHEMA, year_input

RULES = {
    "centre": (
        "centre-in: a pixel counts for a zone when its centre lies inside the zone's "
        "polygon; every counted pixel falls in exactly one class (nodata included), so the "
        "class areas of a zone add up to its rasterised area"
    ),
    "fraction": (
        "fractional coverage: a pixel counts for a zone by the exact fraction of its area "
        "that the zone's polygon covers (computed by exactextract), so pixel counts are "
        "fractional; every covered fraction falls in exactly one class (nodata included), so "
        "the class areas of a zone add up to the polygon's area inside the product"
    ),
}
PROCESS_METADATA = {
    "id": "landcover-statistics",
    "title": "Land-cover statistics per zone",
    "description": (
        "For each zone and year: pixel count, area (m2 and ha) and share of every land-cover "
        "class in the zone. Zones are given inline (a GeoJSON FeatureCollection of Polygons "
        "or MultiPolygons, in `zonesCrs`, CRS84 by default) or by reference to a Features "
        "collection of this server with an optional CQL2 filter "
        '(`{"collection": id, "filter": "..."}`). Pixel rule (input `method`): `centre` '
        "(default), " + RULES["centre"] + "; `fraction`, " + RULES["fraction"] + ". Areas are "
        "pixel counts times the pixel area of the product grid (EPSG:3035, equal-area). "
        "Results: `statistics` (JSON, nested by zone and year) and `table` (CSV, one row per "
        "zone, year and class). Large zones are processed in row blocks (tiles) of bounded "
        "memory, with progress per tile."
    ),
    "version": "1.0.0",
    "keywords": ["land cover", "zonal statistics", "area", "share"],
    "jobControlOptions": ["sync-execute", "async-execute", "dismiss"],
    "outputTransmission": ["value", "reference"],
    "inputs": {
        "product": PRODUCT_INPUT,
        "year": year_input("Reference year(s)", 20),
        "zones": {
            "title": "Zones",
            "description": "A GeoJSON FeatureCollection, or {collection, filter, "
            "filter-lang} naming features of this server.",
            "minOccurs": 1,
            "maxOccurs": 1,
            "schema": ZONES_SCHEMA,
        },
        "method": {
            "title": "Pixel-zone rule",
            "description": "centre: a pixel belongs to a zone when its centre is inside; "
            "fraction: a pixel counts by the fraction of its area the zone covers.",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": {"enum": list(METHODS), "default": "centre"},
        },
        "zonesCrs": {
            "title": "CRS of inline zones",
            "minOccurs": 0,
            "maxOccurs": 1,
            "schema": CRS_SCHEMA,
        },
    },
    "outputs": {
        "statistics": {
            "title": "Statistics per zone, year and class",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        },
        "table": {
            "title": "The same as CSV",
            "schema": {"type": "string", "contentMediaType": "text/csv"},
        },
    },
    "example": {
        "inputs": {
            "product": "clcplus-backbone",
            "year": [2018, 2021],
            "zones": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": "a",
                        "properties": {"name": "zone a"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [9.80, 47.30],
                                    [9.85, 47.30],
                                    [9.85, 47.34],
                                    [9.80, 47.34],
                                    [9.80, 47.30],
                                ]
                            ],
                        },
                    }
                ],
            },
        }
    },
}
CSV_FIELDS = ["zone", "year", "code", "label", "pixels", "area_m2", "area_ha", "share"]


class StatisticsProcessor(LandgridProcessor):
    def __init__(self, processor_def: dict) -> None:
        super().__init__(processor_def, PROCESS_METADATA)

    def _prepare(self, inputs: dict[str, Any]) -> tuple[Source, list[int], list[Zone]]:
        years = sorted(set(as_list(inputs["year"])))
        src = source(self.catalog, inputs["product"], years)
        zones = load_zones(
            self.context.zone_sources, inputs["zones"], inputs.get("zonesCrs"), src.product
        )
        return src, years, zones

    def validate(self, inputs: dict[str, Any]) -> None:
        self._prepare(inputs)

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        src, years, zones = self._prepare(inputs)
        self.report(1, f"{len(zones)} zones, years {years}")

        def progress(done: int, total: int) -> None:
            self.report(1 + int(97 * done / total), f"tile {done} of {total}")

        method = inputs.get("method") or "centre"
        counts = class_counts(
            src,
            zones,
            years,
            progress,
            method=method,
            run_tiles=self.context.run_tiles,
            check=self.context.check,
        )
        statistics = summarise(src, zones, years, counts, method)
        path = self.output_path("statistics.csv")
        write_csv(statistics, path)
        return {"statistics": statistics, "table": FileOutput(path, "text/csv")}


def summarise(
    src: Source, zones: list[Zone], years: list[int], counts: np.ndarray, method: str = "centre"
) -> dict[str, Any]:
    p = src.product
    pixel_m2 = p.resolution**2
    labels = {c.code: c.label for c in p.legend} | {p.nodata: "No data"}
    out = []
    for z, zone in enumerate(zones):
        per_year = {}
        for y, year in enumerate(years):
            row = counts[y, z]
            total = number(row.sum())
            classes = [
                {
                    "code": int(code),
                    "label": labels.get(int(code), str(code)),
                    "pixels": number(row[code]),
                    "area_m2": float(row[code] * pixel_m2),
                    "area_ha": float(row[code] * pixel_m2 / 1e4),
                    "share": float(row[code] / total) if total else 0.0,
                }
                for code in np.flatnonzero(row)
            ]
            per_year[str(year)] = {
                "pixels": total,
                "area_m2": total * pixel_m2,
                "area_ha": total * pixel_m2 / 1e4,
                "classes": classes,
            }
        out.append(
            {
                "id": zone.id,
                "properties": zone.properties,
                "polygon_area_m2": round(zone.geometry.area, 3),
                "years": per_year,
            }
        )
    return {
        "product": p.id,
        "years": years,
        "method": method,
        "rule": RULES[method],
        "crs": p.crs.to_string(),
        "pixel_area_m2": pixel_m2,
        "zones": out,
    }


def number(value: Any) -> int | float:
    """Centre-in counts are integers; fractional ones are rounded to 1e-6 pixel."""
    return int(value) if isinstance(value, np.integer) else round(float(value), 6)


def write_csv(statistics: dict[str, Any], path: Any) -> None:
    with open(path, "w", newline="", encoding="utf8") as fh:
        writer = csv.DictWriter(fh, CSV_FIELDS)
        writer.writeheader()
        for zone in statistics["zones"]:
            for year, stats in zone["years"].items():
                for c in stats["classes"]:
                    writer.writerow(
                        {"zone": zone["id"], "year": year, **{k: c[k] for k in CSV_FIELDS[2:]}}
                    )
