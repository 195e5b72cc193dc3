"""OpenLayers 10 (our bundle) on a page of another origin than the API, in Debian's Chromium:
``OGCMapTile`` draws the CORINE map tiles of the asked year in the legend's colours, pixel
for pixel where the store has them, and an ``OGCVectorTile`` feature is hit-detectable.
Every request the page makes goes to one of the two local origins (CORS on every answer)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
import rasterio
import requests
from playwright.sync_api import Page
from pyproj import Transformer

from landgrid.catalog import store_path
from tests.browser.conftest import Serve, assert_clean
from tests.tiles.conftest import ID

pytestmark = pytest.mark.services
LAUSANNE = [6.63, 46.55]  # CRS84
SWITZERLAND = [8.2, 46.8]
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>tiles test</title>
<link rel="icon" href="favicon-32x32.png">
<link rel="stylesheet" href="ol.css">
<style>.map { width: 256px; height: 256px; } body { margin: 0; }</style>
</head><body>
<div id="raster" class="map"></div><div id="vector" class="map"></div>
<script src="viewer.js"></script>
<script>
const ol = landgrid.ol;
const q = new URLSearchParams(location.search);
// A source reads its tileset (and tile matrix set) first: wait for that, then for a render
// that has drawn every tile in view.
// A source in error (its tileset did not load) fails the page at once, and nothing waits
// for more than a minute: the test reports instead of hanging.
const ready = (source) => new Promise((done, fail) => {
  const look = () => {
    if (source.getState() === 'ready') done();
    if (source.getState() === 'error') fail(new Error(`source in error: ${source.getUrl?.()}`));
  };
  look();
  source.on('change', look);
});
const timeout = (ms) => new Promise((_, fail) =>
  setTimeout(() => fail(new Error(`not rendered within ${ms} ms`)), ms));
const rendered = (map) => {
  const source = map.getLayers().item(0).getSource();
  return ready(source).then(() => new Promise((done) => {
    map.once('rendercomplete', () => done(map));
    map.render();
  }));
};

// Map tiles of one year, drawn as they come (no smoothing; the tileset's deepest zoom: one
// screen pixel is one tile pixel).
const raster = new ol.Map({
  target: 'raster', controls: [],
  layers: [new ol.layer.Tile({source: new ol.source.OGCMapTile({
    url: q.get('maps'), crossOrigin: 'anonymous', interpolate: false, transition: 0,
  })})],
  view: new ol.View({center: ol.proj.fromLonLat(JSON.parse(q.get('at'))), zoom: +q.get('zoom')}),
});
const vector = new ol.Map({
  target: 'vector', controls: [],
  layers: [new ol.layer.VectorTile({source: new ol.source.OGCVectorTile({
    url: q.get('vectors'), format: new ol.format.MVT(),
  })})],
  view: new ol.View({center: ol.proj.fromLonLat(JSON.parse(q.get('hit'))), zoom: 5}),
});

const both = Promise.all([rendered(raster), rendered(vector)]);
window.result = Promise.race([both, timeout(60000)]).then(() => {
  const canvas = raster.getViewport().querySelector('.ol-layer canvas');
  const data = canvas &&
    Array.from(canvas.getContext('2d').getImageData(0, 0, 256, 256).data);
  const corners = [[0.5, 0.5], [255.5, 255.5]].map((p) =>
    ol.proj.toLonLat(raster.getCoordinateFromPixel(p)));
  const hits = vector.getFeaturesAtPixel([128, 128]).map((f) => f.getProperties());
  return {data, corners, width: canvas && canvas.width, hits: hits.map((h) => h.NAME)};
});
</script></body></html>
"""


def store_colours(stack, product, year_band: int, corners: list[list[float]]) -> np.ndarray:
    """RGBA the page should show: the legend colour of the store's pixel under each screen
    pixel's centre (nodata and outside: transparent)."""
    (lon0, lat0), (lon1, lat1) = corners
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = to_merc.transform([lon0, lon1], [lat0, lat1])
    xs, ys = np.meshgrid(np.linspace(x0, x1, 256), np.linspace(y0, y1, 256))
    to_store = Transformer.from_crs("EPSG:3857", product.crs, always_xy=True)
    ex, ny = to_store.transform(xs, ys)
    with rasterio.open(f"netcdf:{store_path(stack.settings, ID)}:land_cover") as src:
        layer = src.read(year_band)
    cols = np.floor((ex - product.extent.xmin) / product.resolution).astype(int)
    rows = np.floor((product.extent.ymax - ny) / product.resolution).astype(int)
    inside = (rows >= 0) & (rows < layer.shape[0]) & (cols >= 0) & (cols < layer.shape[1])
    codes = np.full((256, 256), product.nodata, dtype=np.uint8)
    codes[inside] = layer[rows[inside], cols[inside]]
    table = np.zeros((256, 4), dtype=np.uint8)
    for c in product.legend:
        if c.code != product.nodata:
            table[c.code] = (*c.rgb, 255)
    return table[codes]


@pytest.mark.parametrize(("year", "band"), [(2006, 1), (2012, 2)])
def test_openlayers_shows_map_and_vector_tiles_from_another_origin(
    page: Page,
    serve: Serve,
    dist: Path,
    stack,
    corine,
    served_corine,
    vectors_url,
    year,
    band,
) -> None:
    site = serve(dist, files={"/tiles.html": (PAGE.encode(), "text/html")})
    tileset = f"{served_corine}/collections/{ID}/map/tiles/WebMercatorQuad"
    deepest = requests.get(tileset, timeout=30).json()["tileMatrixSetLimits"][-1]["tileMatrix"]
    query = {
        "zoom": deepest,
        "maps": f"{served_corine}/collections/{ID}/map/tiles/WebMercatorQuad?datetime={year}",
        "vectors": f"{vectors_url}/collections/ne_110m_admin_0_countries/tiles/WebMercatorQuad",
        "at": json.dumps(LAUSANNE),
        "hit": json.dumps(SWITZERLAND),
    }
    page.goto(f"{site}/tiles.html?{urlencode(query)}")
    result = page.evaluate("window.result", None)
    assert_clean(page, [site, served_corine])
    assert result["data"] is not None and result["width"] == 256
    shown = np.array(result["data"], dtype=np.uint8).reshape(256, 256, 4)
    expected = store_colours(stack, corine, band, result["corners"])
    legend = {c.rgb for c in corine.legend}
    opaque = shown[..., 3] == 255
    assert opaque.mean() > 0.5  # the lake and the product's edge are nodata
    assert {tuple(p) for p in shown[opaque][:, :3]} <= legend  # only legend colours
    same = np.all(shown == expected, axis=-1)
    assert same.mean() > 0.95, same.mean()  # where the store has them (edges may round)
    assert "Switzerland" in result["hits"]
