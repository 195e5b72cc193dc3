"""CRS names as clients send them, and as OGC APIs print them.

One parser for every parameter and input that names a CRS (``crs``, ``bbox-crs``,
``subset-crs``, ``aoiCrs``, ``zonesCrs``, ``outputCrs``): OGC CRS URIs, safe CURIEs
(``[EPSG:4326]``), ``EPSG:n`` and WKT. ``CRS84`` stays longitude/latitude; EPSG:4326 keeps
its authoritative latitude-first axis order (callers that need x/y use ``always_xy``).
"""

from __future__ import annotations

import math

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from landgrid.errors import InvalidParameterValue

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CRS84 = CRS.from_user_input("OGC:CRS84")
OGC_DEF = "http://www.opengis.net/def/crs/"


def parse_crs(text: str | None, what: str, default: CRS = CRS84) -> CRS:
    """The CRS named by ``text`` (``default`` when absent); a 400 naming ``what`` if unknown
    or not a 2D horizontal CRS."""
    if text is None or not text.strip():
        return default
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):  # safe CURIE [EPSG:4326]
        value = value[1:-1]
    if value.lower().startswith(("http://www.opengis.net/def/crs/", "https://www.opengis.net/")):
        parts = value.rstrip("/").split("/")
        value = "OGC:CRS84" if parts[-1].upper() == "CRS84" else f"{parts[-3]}:{parts[-1]}"
    try:
        crs = CRS.from_user_input(value)
    except CRSError:
        raise InvalidParameterValue(f"{what}: unknown CRS {text!r}") from None
    if "CRS84" in value.upper():
        return CRS84
    if not (crs.is_projected or crs.is_geographic):
        raise InvalidParameterValue(f"{what}: {text!r} is not a 2D horizontal CRS")
    return crs


def crs_uri(crs: CRS) -> str:
    """The OGC URI of ``crs`` (its WKT when it has no authority code)."""
    if crs == CRS84:
        return CRS84_URI
    code = crs.to_authority(min_confidence=90)
    return f"{OGC_DEF}{code[0]}/0/{code[1]}" if code else crs.to_wkt()


def northing_first(crs: CRS) -> bool:
    """Does the CRS's authoritative axis order start with northing/latitude (EPSG:4326,
    EPSG:3035)? OGC bounding boxes given "in the CRS" follow that order."""
    axes = crs.axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


def in_axis_order(crs: CRS, box: tuple[float, float, float, float]) -> list[float]:
    """An x/y box (``minx, miny, maxx, maxy``) in ``crs``'s own axis order (and back: the
    swap is its own inverse)."""
    x1, y1, x2, y2 = box
    return [y1, x1, y2, x2] if northing_first(crs) else [x1, y1, x2, y2]


def lonlat_bounds(crs: CRS | str, bounds: tuple[float, float, float, float]) -> list[float]:
    """An x/y extent in ``crs`` as a CRS84 box, densified and rounded outward (1e-6
    degree), so that a box equal to it holds everything in the extent."""
    to_lonlat = Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)
    west, south, east, north = to_lonlat.transform_bounds(*bounds, densify_pts=21)
    return [
        max(-180.0, _down(west)),
        max(-90.0, _down(south)),
        min(180.0, _up(east)),
        min(90.0, _up(north)),
    ]


def _down(value: float) -> float:
    return math.floor(value * 1e6) / 1e6


def _up(value: float) -> float:
    return math.ceil(value * 1e6) / 1e6
