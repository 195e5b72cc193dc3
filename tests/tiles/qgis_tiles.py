"""QGIS 3.22 loads our XYZ map tiles and vector tiles; prints what it saw as one JSON line.

Run by ``test_clients.py`` with the system interpreter that has Debian's ``python3-qgis``
and ``QT_QPA_PLATFORM=offscreen``::

    /usr/bin/python3 qgis_tiles.py MAP_TEMPLATE VECTOR_TEMPLATE ZMIN ZMAX LON LAT

The map tiles are added as a user does (XYZ Tiles connection: a ``wms`` provider layer of
``type=xyz``) and read over a 64 x 64 px block around LON/LAT at the deepest zoom; the
vector tiles as a Vector Tiles connection (``QgsVectorTileLayer``): one tile at ZMIN fetched
and rendered with QGIS's default style. Output: ``raster_valid``, ``colours`` (distinct
opaque ``[r, g, b]``), ``opaque`` (share of opaque pixels), ``vector_valid``,
and ``drawn`` (share of the rendered tile QGIS drew).
"""

from __future__ import annotations

import json
import math
import os
import sys


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def main() -> int:
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsDataSourceUri,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsPointXY,
        QgsProject,
        QgsRasterLayer,
        QgsRectangle,
        QgsVectorTileLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    map_url, vector_url, zmin, zmax, lon, lat = sys.argv[1:]
    app = QgsApplication([], False)
    app.initQgis()
    out: dict = {}

    uri = QgsDataSourceUri()
    for key, value in (("type", "xyz"), ("url", map_url), ("zmin", zmin), ("zmax", zmax)):
        uri.setParam(key, value)
    raster = QgsRasterLayer(bytes(uri.encodedUri()).decode(), "map tiles", "wms")
    out["raster_valid"] = raster.isValid()
    if raster.isValid():
        to_merc = QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("EPSG:4326"), raster.crs(), QgsProject.instance()
        )
        centre = to_merc.transform(QgsPointXY(float(lon), float(lat)))
        half = 32 * 2 * math.pi * 6378137 / 256 / 2 ** int(zmax)  # 32 px at zmax
        rect = QgsRectangle(
            centre.x() - half, centre.y() - half, centre.x() + half, centre.y() + half
        )
        block = raster.dataProvider().block(1, rect, 64, 64)
        pixels = bytes(block.data())  # ARGB32: B, G, R, A bytes per pixel
        colours, opaque = set(), 0
        for i in range(0, len(pixels), 4):
            b, g, r, a = pixels[i : i + 4]
            if a == 255:
                opaque += 1
                colours.add((r, g, b))
        out["block"] = [block.dataType(), len(pixels)]
        out["colours"] = sorted(colours)
        out["opaque"] = opaque / 64 / 64

    vuri = QgsDataSourceUri()
    for key, value in (("type", "xyz"), ("url", vector_url), ("zmin", zmin), ("zmax", zmax)):
        vuri.setParam(key, value)
    vector = QgsVectorTileLayer(bytes(vuri.encodedUri()).decode(), "vector tiles")
    out["vector_valid"] = vector.isValid()
    if vector.isValid():
        x, y = tile_of(float(lon), float(lat), int(zmin))
        size = 2 * math.pi * 6378137 / 2 ** int(zmin)
        left, top = -math.pi * 6378137 + x * size, math.pi * 6378137 - y * size
        bounds = QgsRectangle(left, top - size, left + size, top)
        settings = QgsMapSettings()
        settings.setLayers([vector])
        settings.setDestinationCrs(vector.crs())
        settings.setExtent(bounds)
        settings.setOutputSize(QSize(256, 256))
        settings.setBackgroundColor(QColor(0, 0, 0, 0))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        drawn = sum(
            1 for py in range(0, 256, 4) for px in range(0, 256, 4)
            if QColor.fromRgba(image.pixel(px, py)).alpha() > 0
        )  # fmt: skip
        out["drawn"] = drawn / 64 / 64
    print(json.dumps(out, default=str))
    sys.stdout.flush()
    os._exit(0)  # QGIS 3.22 may crash in exitQgis(); what was measured is printed


if __name__ == "__main__":
    sys.exit(main())
