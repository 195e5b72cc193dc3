"""Clip a product to an area of interest, optionally reprojected: the pixels of ``extract``,
``change-detection`` and ``vectorize``.

Mask rule (centre-in, as for statistics): an output pixel keeps its class when its centre
lies inside the AOI polygon, else it is nodata. Reprojection is nearest neighbour through
the coverage reader (each output pixel centre mapped exactly to the native pixel it falls
in), so an extract in the product's CRS is the stored pixels themselves. Memory is bounded
by the AOI size limit: at most ``aoi_max_km2 / pixel area`` pixels per year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import CRS
from rasterio.features import geometry_mask
from rasterio.warp import calculate_default_transform
from shapely.geometry.base import BaseGeometry

from landgrid.analysis.aoi import project
from landgrid.analysis.checkpoint import Checkpoint, never
from landgrid.analysis.source import Source
from landgrid.coverage import reader
from landgrid.coverage.plan import Grid, Plan


@dataclass(frozen=True)
class Clip:
    plan: Plan
    data: np.ndarray  # uint8 (years, height, width), nodata outside the AOI
    inside: np.ndarray  # bool (height, width): pixel centre inside the AOI


def output_plan(src: Source, years: list[int], aoi: BaseGeometry, crs: CRS | None) -> Plan:
    """The native window around the AOI, or a grid in ``crs`` at about the same resolution."""
    window = src.window(aoi.bounds)
    native = src.plan(years, window)
    if crs is None or crs == src.product.crs:
        return native
    r0, r1, c0, c1 = window
    bounds = native.grid.bounds
    transform, width, height = calculate_default_transform(
        src.product.crs, crs, c1 - c0, r1 - r0, *bounds
    )
    grid = Grid(crs, transform, int(width), int(height))
    return Plan(src.product, native.years, native.time_indices, grid, None)


def clip(
    src: Source,
    years: list[int],
    aoi: BaseGeometry,
    crs: CRS | None = None,
    check: Checkpoint = never,
) -> Clip:
    """The AOI (in the product's CRS) cut out of the product, in ``crs`` if given;
    ``check`` runs between the years and blocks read."""
    plan = output_plan(src, years, aoi, crs)
    data = reader.read(src.store, plan, check)
    check()
    g = plan.grid
    shape = project(aoi, src.product.crs, g.crs)
    inside = ~geometry_mask([shape], out_shape=(g.height, g.width), transform=g.transform)
    data[:, ~inside] = src.product.nodata
    return Clip(plan, data, inside)
