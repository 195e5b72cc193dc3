"""Metadata documents of a raster product as a coverage.

- ``extent_grid``: rc2's ``extent.spatial.grid`` (native axes, cell counts, resolution);
- ``fields``: the range as JSON Schema (``/schema``), the legend as ``oneOf`` consts;
- ``domainset``/``rangetype``: the 2022-draft CIS descriptions GDAL's OGCAPI driver reads.
  GDAL (3.6 to 3.12) always treats a coverage as EPSG:4326 lon/lat and requests
  ``subset=<axis0>(..),<axis1>(..)&scaleSize=..`` with the domainset's axis labels, so the
  legacy domainset describes a CRS84 grid (``Lon``/``Lat``) of about the native pixel count;
  the native grid is in ``extent.grid`` and ``crs``/``storageCrs``.
"""

from __future__ import annotations

import math
from functools import lru_cache

from pyproj import CRS, Transformer

from landgrid.coverage.plan import FIELD, geographic_grid
from landgrid.crs import CRS84_URI, crs_uri
from landgrid.raster.product import RasterProduct

REL = "http://www.opengis.net/def/rel/ogc/1.0"
GEOTIFF = "image/tiff; application=geotiff"
FORMATS = {  # f= value -> media type
    "tif": GEOTIFF,
    "nc": "application/x-netcdf",
    "covjson": "application/vnd.cov+json",
    "png": "image/png",
}


def wgs84_bbox(product: RasterProduct) -> list[float]:
    """The product's extent in CRS84, densified and rounded outward (1e-6 degree), so
    that a box equal to the extent holds the whole product."""
    return list(_crs84_bbox(tuple(product.bounds), product.crs.to_wkt()))


@lru_cache(maxsize=256)
def _crs84_bbox(bounds: tuple[float, ...], crs_wkt: str) -> tuple[float, ...]:
    """Cached: making the transformer costs ~5 ms (far more under load), every tile asks."""
    to_lonlat = Transformer.from_crs(CRS.from_wkt(crs_wkt), "OGC:CRS84", always_xy=True)
    west, south, east, north = to_lonlat.transform_bounds(*bounds, densify_pts=21)
    down, up = (lambda v: math.floor(v * 1e6) / 1e6), (lambda v: math.ceil(v * 1e6) / 1e6)
    return (down(west), down(south), up(east), up(north))


def extent_grid(product: RasterProduct) -> list[dict]:
    return [
        {"cellsCount": product.width, "resolution": product.resolution},
        {"cellsCount": product.height, "resolution": product.resolution},
    ]


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


def links(base: str, product: RasterProduct) -> list[dict]:
    """The coverage links of the collection: each format, the preview page, and the
    2022-draft domainset/rangetype that GDAL's OGCAPI driver and OWSLib look for."""
    url = f"{base}/collections/{product.id}"
    out = [
        {
            "rel": f"{REL}/coverage",
            "type": media,
            "title": f"Coverage as {name}",
            "href": f"{url}/coverage?f={name}",
        }
        for name, media in FORMATS.items()
    ]
    out += [
        {
            "rel": "preview",
            "type": "text/html",
            "title": "Coverage preview and legend",
            "href": f"{url}/coverage?f=html",
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
