"""QGIS's OAPIF provider against a served collection; prints what it saw as one JSON line.

Run by ``test_clients.py`` with the system interpreter that has Debian's ``python3-qgis``
(QGIS 3.22), not the project's virtualenv, and ``QT_QPA_PLATFORM=offscreen``::

    /usr/bin/python3 qgis_client.py BASE_URL COLLECTION KEY_PROPERTY [WEST SOUTH EAST NORTH]

It loads the layer as a user does (Add WFS / OGC API - Features layer), reads every
feature, then, in a second layer (so its own cache cannot answer), the features in the
given extent (CRS84), with an exact intersection test. Output: ``valid``, ``error``,
``crs``, ``fields``, ``feature_count_first`` (the provider's count before reading: what
a server's ``numberMatched`` tells), ``count`` (features read), ``feature_count`` (the
provider's count after reading), ``extent_count`` and ``extent_keys`` (the KEY_PROPERTY
values of the features in the extent; QGIS 3.22 does not expose the GeoJSON ``id``; ``-``
for none).
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeatureRequest,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
    )

    base, collection, key, *box = sys.argv[1:]
    app = QgsApplication([], False)
    app.initQgis()
    key = "" if key == "-" else key
    uri = f"url='{base}' typename='{collection}'"
    layer = QgsVectorLayer(uri, collection, "OAPIF")
    out: dict = {"valid": layer.isValid()}
    if not layer.isValid():
        out["error"] = layer.dataProvider().error().message() if layer.dataProvider() else ""
    else:
        out["crs"] = layer.crs().authid()
        out["fields"] = layer.fields().names()
        out["feature_count_first"] = layer.featureCount()  # before reading: numberMatched
        out["count"] = sum(1 for _ in layer.getFeatures())
        out["feature_count"] = layer.featureCount()
        if box:
            # As with "Only request features overlapping the view extent": the box is sent
            # to the server (bbox=) instead of the whole layer being downloaded.
            fresh = QgsVectorLayer(f"{uri} restrictToRequestBBOX='1'", collection, "OAPIF")
            rect = QgsRectangle(*map(float, box))
            crs84 = QgsCoordinateReferenceSystem("OGC:CRS84")
            if fresh.crs() != crs84:
                to_layer = QgsCoordinateTransform(crs84, fresh.crs(), QgsProject.instance())
                rect = to_layer.transformBoundingBox(rect)
            request = QgsFeatureRequest().setFilterRect(rect)
            request.setFlags(QgsFeatureRequest.ExactIntersect)
            features = list(fresh.getFeatures(request))
            out["extent_count"] = len(features)
            if key:
                out["extent_keys"] = sorted(str(f.attribute(key)) for f in features)
            del fresh
        del layer
    print(json.dumps(out, default=str))
    sys.stdout.flush()
    # QGIS 3.22 may crash in exitQgis() when Python tears down its bindings; what was to
    # be measured is printed, so leave without that teardown.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
