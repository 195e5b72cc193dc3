"""OGC API - Maps parameters, resolved into the output grid and background of one map.

Rules (OGC 20-058): the map is in ``crs`` (default: the collection's storage CRS); its
area is ``bbox`` (in ``bbox-crs``, CRS84 by default), a spatial ``subset`` (``Lon``/``Lat``
in ``subset-crs``, CRS84 by default; ``E``/``N`` need a projected ``subset-crs``), or
``center`` (``center-crs``) with ``width``/``height``, else the collection's extent. Its size
is ``width``/``height`` (one given: the other keeps the aspect), or ``scale-denominator``
(0.28 mm pixels), else the data's resolution with the longer side at most ``DEFAULT_SIDE``.
``bgcolor``/``transparent``/``void-color``/``void-transparent`` set the background.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from affine import Affine
from pyproj import CRS

from landgrid.coverage.plan import Grid
from landgrid.coverage.query import parse_bbox, parse_number, parse_size, parse_subsets
from landgrid.crs import CRS84, parse_crs
from landgrid.errors import ApiError, InvalidParameterValue
from landgrid.tiles.matrices import transformer
from landgrid.tiles.render import Background

DEFAULT_SIDE = 1024
PIXEL_MM = 0.28  # the standard rendering pixel (OGC 20-058 scale-denominator)
METRES_PER_DEGREE = 2 * math.pi * 6378137 / 360
LON, LAT = {"lon", "long", "longitude", "x"}, {"lat", "latitude", "y"}
EAST, NORTH = {"e", "x", "easting"}, {"n", "y", "northing"}
TIME = {"time", "t", "date", "datetime"}
COLOURS = {  # a few W3C colour names; hexadecimal covers every colour
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "navy": (0, 0, 128),
    "aqua": (0, 255, 255),
    "fuchsia": (255, 0, 255),
    "lime": (0, 255, 0),
    "maroon": (128, 0, 0),
    "olive": (128, 128, 0),
    "purple": (128, 0, 128),
    "teal": (0, 128, 128),
    "orange": (255, 165, 0),
    "transparent": (255, 255, 255),
}

# What ``bgcolor``/``void-color`` accept, as the OpenAPI document says it: 0xRRGGBB (or
# #RRGGBB) or one of the names above, in any case (ECMA-262 patterns have no flags).
ANY_CASE_NAMES = "|".join("".join(f"[{c}{c.upper()}]" for c in name) for name in COLOURS)
COLOUR_PATTERN = f"^((0[xX]|#)?[0-9A-Fa-f]{{6}}|{ANY_CASE_NAMES})$"


class MapTooLarge(ApiError):
    status = 413
    type = "PayloadTooLarge"


@dataclass(frozen=True)
class MapArea:
    """Where the data is: its extent in ``crs`` and its resolution (``crs`` units)."""

    crs: CRS
    bounds: tuple[float, float, float, float]
    resolution: float


def _one(args: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = args.get(name) or []
    if len(values) > 1:
        raise InvalidParameterValue(f"{name}: given {len(values)} times")
    return values[0] if values else None


def _box(src: CRS, dst: CRS, box, param: str) -> tuple[float, float, float, float]:
    if src == dst:
        return tuple(box)
    try:
        out = transformer(src, dst).transform_bounds(*box, densify_pts=21)
    except Exception as e:  # PROJ raises several types: any means "cannot be placed"
        raise InvalidParameterValue(f"{param}: {box} cannot be placed in {dst.name}") from e
    if not all(math.isfinite(v) for v in out):
        raise InvalidParameterValue(f"{param}: {box} cannot be placed in {dst.name}")
    return out


def _resolution_in(crs: CRS, area: MapArea) -> float:
    if crs == area.crs:
        return area.resolution
    cx, cy = (area.bounds[0] + area.bounds[2]) / 2, (area.bounds[1] + area.bounds[3]) / 2
    t = transformer(area.crs, crs)
    (x0, x1), (y0, y1) = t.transform([cx, cx + area.resolution], [cy, cy])
    return math.hypot(x1 - x0, y1 - y0) or area.resolution


def _subset_box(args, out_crs: CRS) -> tuple[tuple[float, float, float, float], CRS] | None:
    subsets = [s for s in parse_subsets(args.get("subset", [])) if s.axis.lower() not in TIME]
    if not subsets:
        return None
    crs = parse_crs(_one(args, "subset-crs"), "subset-crs", CRS84)
    names = (LON, LAT) if crs.is_geographic else (EAST, NORTH)
    box = [-math.inf, -math.inf, math.inf, math.inf]
    for s in subsets:
        axis = s.axis.lower()
        if axis not in names[0] | names[1]:
            expected = "Lon, Lat" if crs.is_geographic else "E, N"
            raise InvalidParameterValue(
                f"subset: {s.axis} is not an axis of {crs.name} (axes: {expected}; the "
                f"subset-crs is CRS84 unless given)"
            )
        i = 0 if axis in names[0] else 1
        lo = parse_number(s.low, "subset") if s.low is not None else -math.inf
        hi = parse_number(s.high, "subset") if s.high is not None else math.inf
        if lo > hi:
            raise InvalidParameterValue(f"subset: {s.axis}({lo}:{hi}) low bound above high")
        box[i], box[i + 2] = lo, hi
    return tuple(box), crs


def map_grid(args: Mapping[str, Sequence[str]], area: MapArea, max_pixels: int) -> Grid:
    """The map's grid; 400 for a bad or conflicting parameter, 413 above ``max_pixels``."""
    out_crs = parse_crs(_one(args, "crs"), "crs", area.crs)
    full = _box(area.crs, out_crs, area.bounds, "crs")
    width = parse_size(w, "width") if (w := _one(args, "width")) is not None else None
    height = parse_size(h, "height") if (h := _one(args, "height")) is not None else None
    denominator = _one(args, "scale-denominator")
    res = None
    if denominator is not None:
        scale = parse_number(denominator, "scale-denominator")
        if scale <= 0:
            raise InvalidParameterValue("scale-denominator: must be positive")
        metres = scale * PIXEL_MM / 1000  # may underflow to 0: a map too big, not none
        res = metres / METRES_PER_DEGREE if out_crs.is_geographic else metres
    bbox, center, subset = _one(args, "bbox"), _one(args, "center"), _subset_box(args, out_crs)
    if sum(x is not None for x in (bbox, center, subset)) > 1:
        raise InvalidParameterValue("bbox, center, subset: give only one way of choosing the area")
    if bbox is not None:
        box = parse_bbox(bbox)
        if res is not None and width is not None and height is not None:
            raise InvalidParameterValue(
                "scale-denominator: not with bbox, width and height together"
            )
        bounds = _box(parse_crs(_one(args, "bbox-crs"), "bbox-crs", CRS84), out_crs, box, "bbox")
    elif subset is not None:
        (x0, y0, x1, y1), crs = subset
        lim = _box(out_crs, crs, full, "subset")
        box = (max(x0, lim[0]), max(y0, lim[1]), min(x1, lim[2]), min(y1, lim[3]))
        bounds = _box(crs, out_crs, box, "subset")
    elif center is not None:
        try:
            cx, cy = (float(v) for v in center.split(","))
        except ValueError:
            raise InvalidParameterValue(f"center: expected x,y, got {center!r}") from None
        crs = parse_crs(_one(args, "center-crs"), "center-crs", CRS84)
        (px,), (py,) = transformer(crs, out_crs).transform([cx], [cy])
        step = _resolution_in(out_crs, area) if res is None else res
        w, h = width or DEFAULT_SIDE, height or DEFAULT_SIDE
        bounds = (px - w * step / 2, py - h * step / 2, px + w * step / 2, py + h * step / 2)
        width, height = w, h
    else:
        bounds = full
    span_x, span_y = bounds[2] - bounds[0], bounds[3] - bounds[1]
    if not (span_x > 0 and span_y > 0):
        raise InvalidParameterValue(f"bbox: the area {bounds} is empty")
    if width is None and height is None:
        step = _resolution_in(out_crs, area) if res is None else res
        cols, rows = (span_x / step, span_y / step) if step > 0 else (math.inf, math.inf)
        if res is not None and not cols * rows <= max_pixels:  # also inf (a tiny scale)
            raise MapTooLarge(
                f"scale-denominator: {cols:.6g} x {rows:.6g} pixels, above this server's "
                f"limit of {max_pixels} pixels per map"
            )
        width, height = max(1, round(cols)), max(1, round(rows))
        if res is None and max(width, height) > DEFAULT_SIDE:
            k = DEFAULT_SIDE / max(width, height)
            width, height = max(1, round(width * k)), max(1, round(height * k))
    elif width is None:
        width = max(1, round(height * span_x / span_y))
    elif height is None:
        height = max(1, round(width * span_y / span_x))
    if width * height > max_pixels:
        raise MapTooLarge(
            f"width/height: {width} x {height} = {width * height} pixels, above this server's "
            f"limit of {max_pixels} pixels per map"
        )
    transform = Affine(span_x / width, 0, bounds[0], 0, -span_y / height, bounds[3])
    return Grid(out_crs, transform, width, height)


def _colour(value: str | None, name: str) -> tuple[int, int, int] | None:
    if value is None:
        return None
    if not re.fullmatch(COLOUR_PATTERN, value):
        raise InvalidParameterValue(f"{name}: {value!r} is not 0xRRGGBB nor a colour name")
    text = value.lower()
    if text in COLOURS:
        return COLOURS[text]
    code = text[-6:]
    return int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16)


def _flag(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise InvalidParameterValue(f"{name}: expected true or false, got {value!r}")
    return value.lower() == "true"


def background(args: Mapping[str, Sequence[str]]) -> Background:
    """``transparent`` defaults to true, and to false when ``bgcolor`` is given."""
    colour = _colour(_one(args, "bgcolor"), "bgcolor")
    transparent = _flag(_one(args, "transparent"), "transparent")
    if transparent is None:
        transparent = colour is None
    return Background(
        colour or (255, 255, 255),
        transparent,
        _colour(_one(args, "void-color"), "void-color"),
        _flag(_one(args, "void-transparent"), "void-transparent"),
    )
