"""Areas of interest and zones: parsed, checked and projected onto a product's CRS.

Everything a client can get wrong about a geometry is found here, before a job is recorded
(empty, self-intersecting, unknown CRS, outside the product, over the size limit), and the
message says which rule was broken. Areas are measured in EPSG:6933 (equal-area, world
wide): Web Mercator overstates areas 2.5-4x at 50-60 N (design notes, section 1).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from landgrid.crs import parse_crs
from landgrid.errors import InvalidParameterValue
from landgrid.guards import LIMITS, Limits, check_geojson
from landgrid.raster.product import RasterProduct

EQUAL_AREA = CRS.from_epsg(6933)
POLYGONAL = ("Polygon", "MultiPolygon")

_local = threading.local()


def transformer_for(source: CRS, target: CRS) -> Transformer:
    """An x/y-ordered transformer, made once per thread and CRS pair: making one costs
    ~80 ms (PROJ's database), more than a whole small job."""
    cache = _local.__dict__.setdefault("transformers", {})
    key = (source.to_wkt(), target.to_wkt())
    if key not in cache:
        cache[key] = Transformer.from_crs(source, target, always_xy=True)
    return cache[key]


def project(geom: BaseGeometry, source: CRS, target: CRS) -> BaseGeometry:
    """Reproject with densified edges (straight lines are not straight in the other CRS).

    ``always_xy``: GeoJSON and OGC bboxes are x/lon first whatever the CRS axis order says.
    """
    if source == target:
        return geom
    minx, miny, maxx, maxy = geom.bounds
    step = max(maxx - minx, maxy - miny) / 64 or 1.0
    transformer = transformer_for(source, target)
    dense = shapely.segmentize(geom, step)
    return shapely.transform(
        dense, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def geometry(value: dict[str, Any], name: str) -> BaseGeometry:
    """A checked polygonal shapely geometry from GeoJSON."""
    if value.get("type") not in POLYGONAL:
        raise InvalidParameterValue(f"input '{name}': a {value.get('type')!r} is not a polygon")
    try:
        geom = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise InvalidParameterValue(f"input '{name}': invalid GeoJSON geometry ({exc})") from exc
    if geom.is_empty:
        raise InvalidParameterValue(f"input '{name}': the polygon is empty")
    if not geom.is_valid:
        raise InvalidParameterValue(f"input '{name}': invalid polygon: {explain_validity(geom)}")
    if geom.area == 0:
        raise InvalidParameterValue(f"input '{name}': the polygon has no area")
    return geom


def area_km2(geom: BaseGeometry, crs: CRS) -> float:
    return project(geom, crs, EQUAL_AREA).area / 1e6


def parse_aoi(
    value: dict[str, Any], crs_value: str | None, name: str = "aoi", limits: Limits = LIMITS
) -> tuple[BaseGeometry, CRS]:
    """(geometry, its CRS) from an OGC bbox object or a GeoJSON (Multi)Polygon, guarded
    (size, finite bounded coordinates) before shapely and PROJ see it."""
    check_geojson(value, limits, name)
    if "bbox" in value:
        crs = parse_crs(value.get("crs") or crs_value, f"input {name!r}")
        x0, y0, x1, y1 = value["bbox"]
        if x0 >= x1 or y0 >= y1:
            raise InvalidParameterValue(f"input '{name}': bbox needs minx < maxx, miny < maxy")
        return box(x0, y0, x1, y1), crs
    return geometry(value, name), parse_crs(crs_value, f"input {name!r}")


def checked_aoi(
    value: dict[str, Any],
    crs_value: str | None,
    max_km2: float,
    name: str = "aoi",
    limits: Limits = LIMITS,
) -> tuple[BaseGeometry, CRS]:
    """(geometry, its CRS) of an AOI input within the size limit."""
    geom, crs = parse_aoi(value, crs_value, name, limits)
    km2 = area_km2(geom, crs)
    if km2 > max_km2:
        raise InvalidParameterValue(
            f"input '{name}': the area of interest is {km2:,.1f} km2 (equal-area EPSG:6933), "
            f"over the limit of {max_km2:,.1f} km2"
        )
    return geom, crs


def project_aoi(geom: BaseGeometry, crs: CRS, target: CRS, name: str = "aoi") -> BaseGeometry:
    try:
        return project(geom, crs, target)
    except Exception as exc:  # PROJ: a geometry outside the CRS's domain
        raise InvalidParameterValue(f"input '{name}': cannot project to {target}") from exc


def aoi_in_product(
    value: dict[str, Any],
    crs_value: str | None,
    product: RasterProduct,
    max_km2: float,
    name: str = "aoi",
    limits: Limits = LIMITS,
) -> BaseGeometry:
    """The AOI in the product's CRS, cut to the product's extent, within the size limit."""
    geom, crs = checked_aoi(value, crs_value, max_km2, name, limits)
    native = project_aoi(geom, crs, product.crs, name)
    clipped = native.intersection(box(*product.bounds))
    if clipped.is_empty or clipped.area < product.resolution**2 / 4:
        raise InvalidParameterValue(
            f"input '{name}': the area of interest is outside product {product.id!r} "
            f"(extent {product.bounds} in {product.crs.to_string()})"
        )
    return clipped
