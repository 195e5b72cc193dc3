"""Resolve a ``CoverageQuery`` against a product into an output grid, before any read.

The plan fixes the years, the output CRS, bounds and size, and checks the size limit, so
memory stays bounded by the limit whatever is asked. Rules:

- spatial subsets use the product's axes (``X``/``E``/``x``, ``Y``/``N``/``y``) in its CRS,
  or ``Lon``/``Lat`` in CRS84 (GDAL and OWSLib); ``subset-crs`` overrides; ``bbox`` is in
  ``bbox-crs`` (CRS84 by default);
- a geographic subset without ``crs`` answers in CRS84, as the 2022-draft clients expect;
- a request wholly outside the product is an error; partly outside is cut to the product,
  unless both sizes are given (a client's tile: the exact box, nodata outside);
- no ``datetime``/time subset = the newest year (the collection's temporal default);
- ``scale-factor=2`` halves the number of cells per axis (a coarser resolution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from affine import Affine
from pyproj import CRS, Transformer
from rasterio.warp import calculate_default_transform

from landgrid.coverage.query import CoverageQuery, parse_number
from landgrid.coverage.timeaxis import select_years
from landgrid.crs import CRS84, parse_crs
from landgrid.errors import InvalidParameterValue
from landgrid.raster.product import RasterProduct

FIELD = "land_cover"
X_NAMES = {"x", "e", "easting", "lon", "long", "longitude"}
Y_NAMES = {"y", "n", "northing", "lat", "latitude"}
T_NAMES = {"time", "t", "date", "datetime"}
GEO_NAMES = {"lon", "long", "longitude", "lat", "latitude"}
EPS = 1e-6


class ResponseTooLarge(InvalidParameterValue):
    """The response would exceed the configured pixel limit."""


@dataclass(frozen=True)
class Grid:
    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        return (t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f)


@dataclass(frozen=True)
class Plan:
    product: RasterProduct
    years: tuple[int, ...]
    time_indices: tuple[int, ...]
    grid: Grid
    window: tuple[int, int, int, int] | None  # (r0, r1, c0, c1): the output is this slice

    @property
    def pixels(self) -> int:
        return self.grid.width * self.grid.height * len(self.years)

    @property
    def native(self) -> bool:
        return self.grid.crs == self.product.crs


def _transform_bounds(src: CRS, dst: CRS, b: tuple[float, float, float, float], param: str):
    if src == dst:
        return b
    try:
        out = Transformer.from_crs(src, dst, always_xy=True).transform_bounds(*b, densify_pts=21)
    except Exception as e:  # PROJ raises several types; any means "cannot be placed"
        raise InvalidParameterValue(f"{param}: cannot transform {b} to {dst.name}") from e
    if not all(math.isfinite(v) for v in out):
        raise InvalidParameterValue(f"{param}: {b} cannot be transformed to {dst.name}")
    return out


def _spatial(q: CoverageQuery, product: RasterProduct):
    """The requested area: (crs, bounds, parameter name, geographic axes?) or None."""
    spatial = [s for s in q.subsets if s.axis.lower() not in T_NAMES]
    for s in spatial:
        if s.axis.lower() not in X_NAMES | Y_NAMES:
            raise InvalidParameterValue(
                f"subset: unknown axis {s.axis!r}; axes are X (or E, Lon), Y (or N, Lat), time"
            )
    if spatial and q.bbox:
        raise InvalidParameterValue("bbox: give either bbox or a spatial subset, not both")
    if q.bbox:
        crs = parse_crs(q.bbox_crs, "bbox-crs") if q.bbox_crs else CRS84
        return crs, q.bbox, "bbox", False
    if q.bbox_crs:
        raise InvalidParameterValue("bbox-crs: given without bbox")
    if not spatial:
        if q.subset_crs:
            parse_crs(q.subset_crs, "subset-crs")
        return None
    geo = {s.axis.lower() in GEO_NAMES for s in spatial}
    if len(geo) > 1:
        raise InvalidParameterValue("subset: do not mix Lon/Lat with projected axis names")
    geographic = geo.pop()
    if q.subset_crs:
        crs = parse_crs(q.subset_crs, "subset-crs")
    else:
        crs = CRS84 if geographic else product.crs
    full = _transform_bounds(product.crs, crs, product.bounds, "subset")
    box = list(full)
    for s in spatial:
        lo_i, hi_i = (0, 2) if s.axis.lower() in X_NAMES else (1, 3)
        lo = parse_number(s.low, "subset") if s.low is not None else full[lo_i]
        hi = parse_number(s.high, "subset") if s.high is not None else full[hi_i]
        if lo > hi:
            raise InvalidParameterValue(f"subset: {s.axis}({lo}:{hi}) low bound above high")
        box[lo_i], box[hi_i] = lo, hi
    return crs, tuple(box), "subset", geographic


def _sizes(q: CoverageQuery) -> tuple[int | None, int | None]:
    width, height = q.width, q.height
    for axis, n in q.scale_size:
        name = axis.lower()
        if name in X_NAMES:
            width = n
        elif name in Y_NAMES:
            height = n
        else:
            raise InvalidParameterValue(f"scale-size: unknown axis {axis!r}")
    return width, height


def _resolution(q: CoverageQuery, default: tuple[float, float]) -> tuple[float, float] | None:
    xres, yres = default
    changed = False
    for axis, value in q.resolution:
        name = (axis or "").lower()
        if axis is None or name in X_NAMES:
            xres, changed = value, True
        if axis is None or name in Y_NAMES:
            yres, changed = value, True
        if axis is not None and name not in X_NAMES | Y_NAMES:
            raise InvalidParameterValue(f"resolution: unknown axis {axis!r}")
    if q.scale_factor:
        xres, yres, changed = xres * q.scale_factor, yres * q.scale_factor, True
    for axis, factor in q.scale_axes:
        name = axis.lower()
        if name in X_NAMES:
            xres, changed = xres * factor, True
        elif name in Y_NAMES:
            yres, changed = yres * factor, True
        elif name not in T_NAMES:
            raise InvalidParameterValue(f"scale-axes: unknown axis {axis!r}")
    return (xres, yres) if changed else None


def _default_resolution(product: RasterProduct, crs: CRS) -> tuple[float, float]:
    if crs == product.crs:
        return product.resolution, product.resolution
    t, _, _ = calculate_default_transform(
        product.crs.to_wkt(), crs.to_wkt(), product.width, product.height, *product.bounds
    )
    return abs(t.a), abs(t.e)


def make_plan(
    product: RasterProduct, store_years: list[int], q: CoverageQuery, max_pixels: int
) -> Plan:
    """Everything about the response except its pixels; raises ``InvalidParameterValue``."""
    if (q.properties is not None and any(p != FIELD for p in q.properties)) or q.properties == ():
        raise InvalidParameterValue(f"properties: {q.properties} unknown; the field is {FIELD!r}")
    years = select_years(store_years, q)
    area = _spatial(q, product)
    geographic = area is not None and area[3]
    default_crs = CRS84 if geographic else product.crs
    out_crs = parse_crs(q.crs, "crs") if q.crs else default_crs
    full = _transform_bounds(product.crs, out_crs, product.bounds, "crs")
    width, height = _sizes(q)
    exact = width is not None and height is not None
    bounds = full
    if area is not None:
        crs, box, param, _ = area
        box = _transform_bounds(crs, out_crs, box, param)
        inter = (
            max(box[0], full[0]),
            max(box[1], full[1]),
            min(box[2], full[2]),
            min(box[3], full[3]),
        )
        if inter[0] > inter[2] or inter[1] > inter[3]:
            raise InvalidParameterValue(
                f"{param}: {area[1]} is outside the extent of {product.id!r} "
                f"{_transform_bounds(product.crs, area[0], product.bounds, param)}"
            )
        bounds = box if exact else inter
    res = _resolution(q, _default_resolution(product, out_crs))
    window = None
    if out_crs == product.crs and res is None and width is None and height is None:
        e, r = product.extent, product.resolution
        c0 = max(0, math.floor((bounds[0] - e.xmin) / r + EPS))
        c1 = min(product.width, max(c0 + 1, math.ceil((bounds[2] - e.xmin) / r - EPS)))
        r0 = max(0, math.floor((e.ymax - bounds[3]) / r + EPS))
        r1 = min(product.height, max(r0 + 1, math.ceil((e.ymax - bounds[1]) / r - EPS)))
        window = (r0, r1, c0, c1)
        transform = product.transform @ Affine.translation(c0, r0)
        grid = Grid(out_crs, transform, c1 - c0, r1 - r0)
    else:
        grid = _scaled_grid(
            bounds, out_crs, width, height, res or _default_resolution(product, out_crs)
        )
    plan = Plan(product, tuple(y for y, _ in years), tuple(i for _, i in years), grid, window)
    if plan.pixels > max_pixels:
        raise ResponseTooLarge(
            f"width/height: the response would have {grid.width} x {grid.height} pixels x "
            f"{len(years)} year(s) = {plan.pixels} pixels, above this server's limit of "
            f"{max_pixels} pixels per response; ask for a smaller area, a coarser resolution "
            f"or fewer years, or run the 'extract' process for bigger areas"
        )
    return plan


def _scaled_grid(
    bounds, crs: CRS, width: int | None, height: int | None, res: tuple[float, float]
) -> Grid:
    span_x, span_y = bounds[2] - bounds[0], bounds[3] - bounds[1]
    if span_x <= 0 or span_y <= 0:  # a point subset on an axis: one cell of default size
        span_x, span_y = max(span_x, res[0]), max(span_y, res[1])
    if width is None and height is None:
        width, height = _cells(span_x, res[0]), _cells(span_y, res[1])
    elif width is None:
        width = _cells(span_x, span_y / height * (res[0] / res[1]))
    elif height is None:
        height = _cells(span_y, span_x / width * (res[1] / res[0]))
    transform = Affine(span_x / width, 0, bounds[0], 0, -span_y / height, bounds[3])
    return Grid(crs, transform, width, height)


def _cells(span: float, step: float) -> int:
    """Cells of size ``step`` along ``span``: a step so fine (or so coarse) that the count
    overflows is the client's 400, whatever mix of resolution and scale factors made it."""
    cells = span / step if step > 0 else math.inf
    if not math.isfinite(cells):
        raise InvalidParameterValue(
            f"resolution: a cell size of {step:g} makes no finite grid; ask for a coarser one"
        )
    return max(1, round(cells))  # the pixel limit comes next


def geographic_grid(product: RasterProduct) -> tuple[float, float, float, float, int, int]:
    """CRS84 bounds and default size: the grid the 2022-draft domainset advertises."""
    west, south, east, north = _transform_bounds(product.crs, CRS84, product.bounds, "crs")
    xres, yres = _default_resolution(product, CRS84)
    width = max(1, round((east - west) / xres))
    height = max(1, round((north - south) / yres))
    return west, south, east, north, width, height
