"""What the Coverages modules share: the demo coverage's URL and GeoTIFF reading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import rasterio
import requests

from tests.standards.helpers import DEMO_RASTER

GEOTIFF = "image/tiff; application=geotiff"
EPSG3035 = "http://www.opengis.net/def/crs/EPSG/0/3035"
X0, Y1 = 4300000, 2700000  # the demo's top-left corner, 10 m pixels, 2000 x 2000


def coverage_url(api: str) -> str:
    return f"{api}/collections/{DEMO_RASTER}/coverage"


@contextmanager
def tif(response: requests.Response) -> Iterator[rasterio.io.DatasetReader]:
    """The GeoTIFF of a 200 answer, open (its memory file kept while it is read)."""
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as mem, mem.open() as ds:
        yield ds
