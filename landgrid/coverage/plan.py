"""Resolve a ``CoverageQuery`` against a product into an output grid, before any read.

The plan fixes the years, the output CRS, bounds and size, and checks the size limit, so
memory stays bounded by the limit whatever is asked. Rules:

- spatial subsets name ``Lon``/``Lat``, read in ``subset-crs`` (CRS84 when absent, as
  rc2 says), or ``E``/``N`` (also ``X``/``Y``, ``x``/``y``), read in ``subset-crs`` or, when
  absent, in the product's CRS (CRS84 has no such axes: an extension for GDAL and OWSLib
  users, who name the product's axes); ``bbox`` is in ``bbox-crs`` (CRS84 by default), in
  that CRS's axis order; a geographic ``Lon``/``bbox`` with west > east crosses the
  antimeridian;
- a geographic subset without ``crs`` answers in CRS84, as the 2022-draft clients expect;
- a request wholly outside the product is a 404 (``/req/subsetting-*/out-of-bounds``);
  partly outside is cut to the product, unless both sizes are given (a client's tile: the
  exact box, nodata outside);
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
from landgrid.crs import CRS84, in_axis_order, parse_crs
from landgrid.errors import InvalidParameterValue, NotFound
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


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Area:
    """The requested area: x/y boxes in ``crs`` (two when it crosses the antimeridian)."""

    crs: CRS
    boxes: tuple[Box, ...]
    param: str
    geographic: bool  # named by Lon/Lat: the answer defaults to CRS84

    @property
    def asked(self) -> Box:
        b = self.boxes
        return (b[0][0], b[0][1], b[-1][2], b[0][3]) if len(b) > 1 else b[0]


def _wrapping(crs: CRS, box: Box, param: str) -> tuple[Box, ...]:
    """A box as x/y boxes: a geographic one with west > east is split at 180 degrees."""
    x1, y1, x2, y2 = box
    if y1 > y2:
        raise InvalidParameterValue(f"{param}: the lower corner {box[:2]} is above the upper one")
    if x1 <= x2:
        return (box,)
    if not crs.is_geographic:
        raise InvalidParameterValue(f"{param}: minimum x {x1} above maximum x {x2}")
    return ((x1, y1, 180.0, y2), (-180.0, y1, x2, y2))


def _spatial(q: CoverageQuery, product: RasterProduct) -> Area | None:
    spatial = [s for s in q.subsets if s.axis.lower() not in T_NAMES]
    for s in spatial:
        if s.axis.lower() not in X_NAMES | Y_NAMES:
            raise InvalidParameterValue(
                f"subset: unknown axis {s.axis!r}; axes are Lon, Lat, E (or X), N (or Y), time"
            )
        if s.low is None and s.point:
            raise InvalidParameterValue(f"subset: {s.axis}(*) slices only the time axis")
    if spatial and q.bbox:
        raise InvalidParameterValue("bbox: give either bbox or a spatial subset, not both")
    if q.bbox:
        crs = parse_crs(q.bbox_crs, "bbox-crs") if q.bbox_crs else CRS84
        box = tuple(in_axis_order(crs, q.bbox))  # the CRS's order -> x/y
        return Area(crs, _wrapping(crs, box, "bbox"), "bbox", False)  # type: ignore[arg-type]
    if q.bbox_crs:
        parse_crs(q.bbox_crs, "bbox-crs")  # ignored without bbox, but never a bad value
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
        if geographic and not crs.is_geographic:
            raise InvalidParameterValue(
                "subset: Lon/Lat are not axes of the projected subset-crs; use E and N"
            )
    else:
        crs = CRS84 if geographic else product.crs
    full = _transform_bounds(product.crs, crs, product.bounds, "subset")
    box = list(full)
    for s in spatial:
        lo_i, hi_i = (0, 2) if s.axis.lower() in X_NAMES else (1, 3)
        lo = parse_number(s.low, "subset") if s.low is not None else full[lo_i]
        hi = parse_number(s.high, "subset") if s.high is not None else full[hi_i]
        if lo > hi and not (lo_i == 0 and crs.is_geographic):
            raise InvalidParameterValue(f"subset: {s.axis}({lo}:{hi}) low bound above high")
        box[lo_i], box[hi_i] = lo, hi
    return Area(crs, _wrapping(crs, tuple(box), "subset"), "subset", geographic)  # type: ignore[arg-type]


def _sliced(q: CoverageQuery) -> set[str]:
    """Spatial axes (``x``, ``y``) that a subset slices: they cannot also be scaled."""
    out = set()
    for s in q.subsets:
        if s.point and s.axis.lower() in X_NAMES:
            out.add("x")
        elif s.point and s.axis.lower() in Y_NAMES:
            out.add("y")
    return out


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
    sliced = _sliced(q)
    for axis, value in q.resolution:
        name = (axis or "").lower()
        if axis is not None and name not in X_NAMES | Y_NAMES:
            raise InvalidParameterValue(f"resolution: unknown axis {axis!r}")
        if value is None:  # Axis(): the native resolution on that axis
            continue
        axes = {"x", "y"} if axis is None else {"x" if name in X_NAMES else "y"}
        if axes & sliced:
            raise InvalidParameterValue(
                f"resolution: {axis or 'the resolution'} scales an axis that a subset slices"
            )
        if "x" in axes:
            xres, changed = value, True
        if "y" in axes:
            yres, changed = value, True
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
    if any(p != FIELD for p in q.exclude_properties):
        raise InvalidParameterValue(
            f"exclude-properties: {q.exclude_properties} unknown; the field is {FIELD!r}"
        )
    if q.exclude_properties and q.properties is not None:
        raise InvalidParameterValue("exclude-properties: give it or properties, not both")
    if q.exclude_properties:
        raise InvalidParameterValue(f"exclude-properties: excluding {FIELD!r} leaves no field")
    years = select_years(store_years, q)
    area = _spatial(q, product)
    geographic = area is not None and area.geographic
    default_crs = CRS84 if geographic else product.crs
    out_crs = parse_crs(q.crs, "crs") if q.crs else default_crs
    full = _transform_bounds(product.crs, out_crs, product.bounds, "crs")
    width, height = _sizes(q)
    exact = width is not None and height is not None
    bounds = full
    if area is not None:
        bounds = _area_bounds(product, area, out_crs, full, exact)
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


def _area_bounds(product: RasterProduct, area: Area, out_crs: CRS, full: Box, exact: bool) -> Box:
    """The output bounds of a requested area: cut to the product (unless both sizes are
    given), the union of both sides of the antimeridian; a 404 when nothing is left."""
    parts = []
    for box in area.boxes:
        b = _transform_bounds(area.crs, out_crs, box, area.param)
        inter = (max(b[0], full[0]), max(b[1], full[1]), min(b[2], full[2]), min(b[3], full[3]))
        if inter[0] <= inter[2] and inter[1] <= inter[3]:
            parts.append(b if exact else inter)
    if not parts:
        extent = _transform_bounds(product.crs, area.crs, product.bounds, area.param)
        raise NotFound(
            f"{area.param}: {area.asked} lies wholly outside the extent of {product.id!r} "
            f"{tuple(round(v, 6) for v in extent)}"
        )
    return (
        min(p[0] for p in parts),
        min(p[1] for p in parts),
        max(p[2] for p in parts),
        max(p[3] for p in parts),
    )


def _scaled_grid(
    bounds, crs: CRS, width: int | None, height: int | None, res: tuple[float, float]
) -> Grid:
    span_x, span_y = bounds[2] - bounds[0], bounds[3] - bounds[1]
    if span_x <= 0 or span_y <= 0:  # a point subset on an axis: one cell of default size
        span_x, span_y = max(span_x, res[0]), max(span_y, res[1])
    if width is None and height is None:  # cells of exactly the resolution (rc2 E)
        width, height = _cells(span_x, res[0]), _cells(span_y, res[1])
        return Grid(crs, Affine(res[0], 0, bounds[0], 0, -res[1], bounds[3]), width, height)
    if width is None:
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
