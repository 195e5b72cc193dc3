"""Polygons of one year of a product inside an AOI: to PostGIS and to a GeoPackage.

Pixels are those of ``landgrid.analysis.clip`` (centre-in mask, native grid), polygonised
with 4-connectivity by ``landgrid.analysis.polygons`` (so, unsimplified, the polygons
rasterise back to the source pixels exactly). Simplification (Douglas-Peucker,
topology-preserving per polygon) is optional; shared borders between neighbours are
simplified independently and may then leave slivers, which is why it is off by default.
"""

from __future__ import annotations

from pathlib import Path

import fiona
import shapely
from shapely.geometry import MultiPolygon, mapping
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.checkpoint import Checkpoint, never
from landgrid.analysis.clip import clip
from landgrid.analysis.polygons import LandCoverPolygon, polygonize
from landgrid.analysis.source import Source

GPKG_SCHEMA = {
    "geometry": "MultiPolygon",
    "properties": {"code": "int", "label": "str", "year": "int", "area_m2": "float"},
}


def polygons(
    src: Source, year: int, aoi: BaseGeometry, tolerance: float = 0.0, check: Checkpoint = never
) -> list[LandCoverPolygon]:
    p = src.product
    cut = clip(src, [year], aoi, check=check)
    labels = {c.code: c.label for c in p.legend}
    out = []
    for poly in polygonize(cut.data[0], cut.plan.grid.transform, labels, year, p.nodata):
        if len(out) % 1000 == 0:
            check()
        out.append(poly)
    if tolerance <= 0:
        return out
    simplified = []
    for i, poly in enumerate(out):
        if i % 1000 == 0:
            check()
        geom = shapely.simplify(poly.geometry, tolerance, preserve_topology=True)
        if not geom.is_empty:
            multi = geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])
            simplified.append(LandCoverPolygon(poly.code, poly.label, poly.year, multi))
    return simplified


def write_geopackage(path: Path, layer: str, items: list[LandCoverPolygon], crs: str) -> None:
    with fiona.open(path, "w", driver="GPKG", layer=layer, schema=GPKG_SCHEMA, crs=crs) as dst:
        dst.writerecords(
            {
                "geometry": mapping(p.geometry),
                "properties": {
                    "code": p.code,
                    "label": p.label,
                    "year": p.year,
                    "area_m2": p.geometry.area,
                },
            }
            for p in items
        )
