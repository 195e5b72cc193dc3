"""CRS identifiers of OGC API - Features Part 2, and what PostGIS needs to honour them.

A CRS is named by its OGC URI. PostGIS stores x/y (easting/longitude first) whatever the
EPSG axis order says, so each CRS resolves to an SRID plus whether its authoritative axis
order starts with northing/latitude (EPSG:4326, EPSG:3035): such coordinates are flipped on
the way in and out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pyproj import CRS
from pyproj.exceptions import CRSError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
SUPPORTED = (
    CRS84,
    EPSG_URI.format(code=4326),
    EPSG_URI.format(code=3035),
    EPSG_URI.format(code=3857),
)

_EPSG = re.compile(
    r"^(?:\[?EPSG:(?:0:)?|https?://www\.opengis\.net/def/crs/EPSG/0/)(\d{1,6})\]?$", re.I
)
_CRS84 = re.compile(
    r"^(?:\[?OGC:(?:1\.3:)?CRS84\]?|https?://www\.opengis\.net/def/crs/OGC/1\.3/CRS84)$", re.I
)


@dataclass(frozen=True)
class CrsInfo:
    uri: str
    srid: int
    lat_first: bool
    geographic: bool
    area_of_use: tuple[float, float, float, float]  # west, south, east, north in degrees


def crs_uri(value: str) -> str:
    """Canonical OGC URI of a CRS given as URI, CURIE or ``EPSG:n``; ``ValueError`` if not."""
    value = value.strip()
    if _CRS84.match(value):
        return CRS84
    match = _EPSG.match(value)
    if not match:
        raise ValueError(f"unknown CRS {value!r}: expected an OGC CRS URI")
    return EPSG_URI.format(code=int(match.group(1)))


@cache
def crs_info(uri: str) -> CrsInfo:
    """SRID and axis order of a canonical CRS URI (``ValueError`` when PROJ does not know it)."""
    if uri == CRS84:
        return CrsInfo(uri, 4326, False, True, (-180.0, -90.0, 180.0, 90.0))
    code = int(uri.rsplit("/", 1)[1])
    try:
        crs = CRS.from_epsg(code)
    except CRSError as e:
        raise ValueError(f"unknown CRS {uri!r}") from e
    first = crs.axis_info[0].direction.lower() if crs.axis_info else "east"
    area = crs.area_of_use
    bounds = (area.west, area.south, area.east, area.north) if area else (-180, -90, 180, 90)
    return CrsInfo(uri, code, first in ("north", "south"), crs.is_geographic, bounds)
