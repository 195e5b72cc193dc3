"""Metadata documents of a raster product as a coverage.

- ``extent_grid``/``storage_bbox``/``temporal_extent``: rc2's ``extent`` (the native grid,
  its box in the storage CRS, the years as an irregular time grid), each in the storage
  CRS's own axis order (northing first for EPSG:3035);
- ``fields``: the range as JSON Schema (``/schema``), the legend as ``oneOf`` consts;
- ``domainset``/``rangetype``: the 2022-draft CIS descriptions GDAL's OGCAPI driver reads.
  GDAL (3.6 to 3.12) always treats a coverage as EPSG:4326 lon/lat and requests
  ``subset=<axis0>(..),<axis1>(..)&scaleSize=..`` with the domainset's axis labels, so the
  legacy domainset describes a CRS84 grid (``Lon``/``Lat``) of about the native pixel count;
  the native grid is in ``extent.grid`` and ``crs``/``storageCrs``.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from landgrid.coverage.plan import FIELD, geographic_grid
from landgrid.crs import CRS84_URI, crs_uri, in_axis_order, lonlat_bounds, northing_first
from landgrid.raster.product import RasterProduct

REL = "http://www.opengis.net/def/rel/ogc/1.0"
GEOTIFF = "image/tiff; application=geotiff"
FORMATS = {  # f= value -> media type
    "tif": GEOTIFF,
    "nc": "application/x-netcdf",
    "covjson": "application/vnd.cov+json",
    "png": "image/png",
}
PRS_COVJSON = "application/prs.coverage+json"  # CoverageJSON's type before its registration
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def wgs84_bbox(product: RasterProduct) -> list[float]:
    """The product's extent in CRS84, rounded outward: a box equal to it holds it all."""
    return list(_lonlat_bounds(tuple(product.bounds), product.crs.to_wkt()))


@lru_cache(maxsize=256)
def _lonlat_bounds(bounds: tuple[float, ...], crs_wkt: str) -> tuple[float, ...]:
    """Cached: making the transformer costs ~5 ms (far more under load), every tile asks."""
    return tuple(lonlat_bounds(crs_wkt, bounds))


def storage_bbox(product: RasterProduct) -> list[float]:
    """The extent in the storage CRS, in its axis order."""
    return in_axis_order(product.crs, product.bounds)


def extent_grid(product: RasterProduct) -> list[dict]:
    """The regular native grid, one entry per axis of the storage CRS in its order; each
    cell stands for its area (the first coordinate is the first cell's centre)."""
    xmin, ymin, _, _ = product.bounds
    r = product.resolution
    x = {"cellsCount": product.width, "resolution": r, "firstCoordinate": xmin + r / 2}
    y = {"cellsCount": product.height, "resolution": r, "firstCoordinate": ymin + r / 2}
    return [y, x] if northing_first(product.crs) else [x, y]


def temporal_extent(years: list[int]) -> dict:
    """The years as an irregular time grid: each layer stands for its whole year."""
    return {
        "interval": [[f"{years[0]}-01-01T00:00:00Z", f"{years[-1]}-12-31T23:59:59Z"]],
        "trs": GREGORIAN,
        "grid": {
            "cellsCount": len(years),
            "coordinates": [f"{y}-01-01T00:00:00Z" for y in years],
            "boundsCoordinates": [[f"{y}-01-01T00:00:00Z", f"{y}-12-31T23:59:59Z"] for y in years],
        },
        "default": f"{years[-1]}-01-01T00:00:00Z",
        "values": [f"{y}-01-01T00:00:00Z" for y in years],
    }


def fields(product: RasterProduct) -> dict[str, dict]:
    return {
        FIELD: {
            "title": f"{product.title}: land cover class",
            "type": "integer",
            "minimum": 0,
            "maximum": 255,
            "x-ogc-propertySeq": 1,
            "oneOf": [
                {
                    "const": c.code,
                    "title": c.label,
                    "x-ogc-color": c.colour,
                    **({"x-ogc-nodata": True} if c.nodata else {}),
                }
                for c in product.legend
            ],
        }
    }


def links(base: str, product: RasterProduct, datetime: str | None = None) -> list[dict]:
    """The coverage links of the collection: each format, the preview page, and the
    2022-draft domainset/rangetype that GDAL's OGCAPI driver and OWSLib look for.

    ``datetime`` goes into the coverage links: GDAL's driver requests the first GeoTIFF
    coverage link as it is, so a collection URL with ``?datetime=2018`` opens that year."""
    url = f"{base}/collections/{product.id}"
    when = {"datetime": datetime} if datetime else {}
    out = [
        {
            "rel": f"{REL}/coverage",
            "type": media,
            "title": f"Coverage as {name}",
            "href": f"{url}/coverage?{urlencode({'f': name, **when})}",
        }
        for name, media in FORMATS.items()
    ]
    out += [
        {
            "rel": "preview",
            "type": "text/html",
            "title": "Coverage preview and legend",
            "href": f"{url}/coverage?{urlencode({'f': 'html', **when})}",
        },
        {
            "rel": f"{REL}/coverage-domainset",
            "type": "application/json",
            "title": "Domain set (2022 draft)",
            "href": f"{url}/coverage/domainset?f=json",
        },
        {
            "rel": f"{REL}/coverage-rangetype",
            "type": "application/json",
            "title": "Range type (2022 draft)",
            "href": f"{url}/coverage/rangetype?f=json",
        },
    ]
    return out


def domainset(product: RasterProduct, years: list[int]) -> dict:
    west, south, east, north, width, height = geographic_grid(product)
    axes = [
        {
            "type": "RegularAxis",
            "axisLabel": "Lon",
            "lowerBound": west,
            "upperBound": east,
            "uomLabel": "deg",
            "resolution": (east - west) / width,
        },
        {
            "type": "RegularAxis",
            "axisLabel": "Lat",
            "lowerBound": south,
            "upperBound": north,
            "uomLabel": "deg",
            "resolution": (north - south) / height,
        },
    ]
    grid = {
        "type": "GeneralGridCoverage",
        "srsName": CRS84_URI,
        "axisLabels": ["Lon", "Lat"],
        "axis": axes,
        "gridLimits": {
            "type": "GridLimits",
            "srsName": "http://www.opengis.net/def/crs/OGC/0/Index2D",
            "axisLabels": ["i", "j"],
            "axis": [
                {"type": "IndexAxis", "axisLabel": "i", "lowerBound": 0, "upperBound": width - 1},
                {"type": "IndexAxis", "axisLabel": "j", "lowerBound": 0, "upperBound": height - 1},
            ],
        },
    }
    return {
        "type": "DomainSet",
        "generalGrid": grid,
        "nativeCrs": crs_uri(product.crs),
        "nativeBbox": list(product.bounds),
        "years": years,
    }


def rangetype(product: RasterProduct) -> dict:
    return {
        "type": "DataRecord",
        "field": [
            {
                "type": "Category",
                "id": FIELD,
                "name": FIELD,
                "definition": "ogcType:unsignedByte",  # the form GDAL maps to Byte
                "description": f"{product.title}: land cover class",
                "encodingInfo": {
                    "dataType": "http://www.opengis.net/def/dataType/OGC/0/unsignedByte"
                },
                "nilValues": [
                    {
                        "reason": "http://www.opengis.net/def/nil/OGC/0/missing",
                        "value": product.nodata,
                    }
                ],
                "codeSpace": [
                    {"value": c.code, "label": c.label, "color": c.colour} for c in product.legend
                ],
            }
        ],
    }
