"""What the Coverages modules share: the demo coverage's URL and GeoTIFF reading."""

from __future__ import annotations

import rasterio
import requests

from tests.standards.helpers import DEMO_RASTER

GEOTIFF = "image/tiff; application=geotiff"
EPSG3035 = "http://www.opengis.net/def/crs/EPSG/0/3035"
X0, Y1 = 4300000, 2700000  # the demo's top-left corner, 10 m pixels, 2000 x 2000


def coverage_url(api: str) -> str:
    return f"{api}/collections/{DEMO_RASTER}/coverage"


def tif(response: requests.Response) -> rasterio.io.DatasetReader:
    assert response.status_code == 200, response.text
    return rasterio.MemoryFile(response.content).open()
