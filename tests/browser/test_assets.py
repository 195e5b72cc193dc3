"""The self-hosted assets work in a real browser with no internet: OpenLayers from our bundle
draws a cross-origin tile and a static image in EPSG:3035 to the pixel, and Swagger UI renders
an OpenAPI document, with nothing requested from anywhere but the two local servers."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from playwright.sync_api import Page

from tests.browser.conftest import Serve, assert_clean

# Quadrants of the 256 x 256 test image: top left, top right, bottom left, bottom right.
COLOURS = {
    (64, 64): (220, 20, 60),
    (192, 64): (34, 139, 34),
    (64, 192): (30, 60, 200),
    (192, 192): (250, 210, 0),
}
# Where the static image sits in EPSG:3035 (a 256 km square around the LAEA origin).
IMAGE_EXTENT = [4193000, 3082000, 4449000, 3338000]


def quadrant_png() -> bytes:
    """A 256 x 256 RGB PNG of the four COLOURS, encoded here so the expected pixels are exact."""
    rgb = np.zeros((256, 256, 3), dtype=np.uint8)
    for (x, y), colour in COLOURS.items():
        rgb[y - 64 : y + 64, x - 64 : x + 64] = colour
    rows = b"".join(b"\x00" + row.tobytes() for row in rgb)  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


MAP_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>assets test</title>
<link rel="icon" href="favicon-32x32.png">
<link rel="stylesheet" href="ol.css">
<style>.map { width: 256px; height: 256px; } body { margin: 0; }</style>
</head><body>
<div id="xyz" class="map"></div><div id="static" class="map"></div>
<script src="viewer.js"></script>
<script>
const ol = landgrid.ol;
const params = new URLSearchParams(location.search);
const tiles = params.get('tiles');
const points = JSON.parse(params.get('points'));
const extent = JSON.parse(params.get('extent'));

function rendered(map) {
  return new Promise((resolve) => map.once('rendercomplete', () => resolve(map)));
}
function pixels(map, points) {
  const canvas = map.getViewport().querySelector('.ol-layer canvas');
  if (!canvas) return null;  // nothing drawn: assert_clean tells why
  const context = canvas.getContext('2d');
  return points.map(([x, y]) => Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3)));
}

// One web-mercator tile at zoom 0 fills the 256 px map exactly.
const xyz = new ol.Map({
  target: 'xyz',
  controls: [],
  layers: [new ol.layer.Tile({source: new ol.source.XYZ({
    url: tiles + '/tiles/{z}/{x}/{y}.png', crossOrigin: 'anonymous', transition: 0,
  })})],
  view: new ol.View({center: [0, 0], zoom: 0}),
});

// The same picture as one image in EPSG:3035, in a view of that projection that it fills.
const still = new ol.Map({
  target: 'static',
  controls: ol.control.defaults({zoom: false, rotate: false, attribution: false}),
  layers: [new ol.layer.Image({source: new ol.source.ImageStatic({
    url: tiles + '/image.png', crossOrigin: 'anonymous',
    projection: 'http://www.opengis.net/def/crs/EPSG/0/3035', imageExtent: extent,
  })})],
  view: new ol.View({
    projection: 'EPSG:3035',
    center: ol.extent.getCenter(extent),
    resolution: ol.extent.getWidth(extent) / 256,
  }),
});

window.result = Promise.all([rendered(xyz), rendered(still)]).then(() => ({
  xyz: pixels(xyz, points),
  still: pixels(still, points),
  origin: ol.proj.transform([10, 52], 'EPSG:4326', 'EPSG:3035'),
  uriAxes: ol.proj.get('http://www.opengis.net/def/crs/EPSG/0/3035').getAxisOrientation(),
}));
</script></body></html>
"""

SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>API docs test</title>
<link rel="icon" href="favicon-32x32.png">
<link rel="stylesheet" href="swagger-ui.css">
</head><body><div id="swagger"></div>
<script src="swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({url: 'openapi.json', dom_id: '#swagger', validatorUrl: null});
</script></body></html>
"""

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Landgrid test API", "version": "1.0.0"},
    "paths": {
        "/collections": {
            "get": {
                "summary": "The collections",
                "responses": {"200": {"description": "The list of collections"}},
            }
        }
    },
}


def close_to(got: list[int], want: tuple[int, int, int]) -> bool:
    """Equal but for a rounding step of the browser's colour pipeline."""
    return all(abs(g - w) <= 2 for g, w in zip(got, want, strict=True))


def test_openlayers_bundle_draws_cross_origin_tiles(page: Page, serve: Serve, dist: Path) -> None:
    png = quadrant_png()
    site = serve(dist, files={"/map.html": (MAP_PAGE.encode(), "text/html")})
    tiles = serve(
        files={"/tiles/0/0/0.png": (png, "image/png"), "/image.png": (png, "image/png")},
        cors=True,
    )
    points, extent = json.dumps(list(COLOURS)), json.dumps(IMAGE_EXTENT)
    page.goto(f"{site}/map.html?" + urlencode({"tiles": tiles, "points": points, "extent": extent}))
    result = page.evaluate("window.result")
    assert_clean(page, [site, tiles])

    want = list(COLOURS.values())
    for name in ("xyz", "still"):
        got = result[name]
        assert all(map(close_to, got, want)), f"{name}: pixels {got}, expected {want}"
    # proj4 is registered for EPSG:3035: the LAEA centre maps to the false origin.
    assert np.allclose(result["origin"], [4321000, 3210000], atol=0.01)
    assert result["uriAxes"] == "neu"


def test_swagger_ui_renders_openapi_document(page: Page, serve: Serve, dist: Path) -> None:
    site = serve(
        dist,
        files={
            "/docs.html": (SWAGGER_PAGE.encode(), "text/html"),
            "/openapi.json": (json.dumps(OPENAPI).encode(), "application/json"),
        },
    )
    page.goto(f"{site}/docs.html")
    operation = page.wait_for_selector(".opblock")
    assert operation is not None
    assert "/collections" in operation.inner_text()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Landgrid test API")
    assert_clean(page, [site])
