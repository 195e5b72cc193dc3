// The map pieces the pages share: a keyboard-usable map in the products' CRS (EPSG:3035),
// the products' own OGC API tiles (map tiles of rasters, vector tiles of features, found
// through the collection's tilesets links), features coloured by a legend, a popup of
// attributes, and maps of job results (GeoTIFFs decoded in the browser).

import Feature from 'ol/Feature.js';
import Map from 'ol/Map.js';
import Overlay from 'ol/Overlay.js';
import View from 'ol/View.js';
import { defaults as controlDefaults } from 'ol/control/defaults.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import { getCenter } from 'ol/extent.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { fromExtent } from 'ol/geom/Polygon.js';
import MVT from 'ol/format/MVT.js';
import ImageLayer from 'ol/layer/Image.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import { equivalent, get as getProjection, transformExtent } from 'ol/proj.js';
import ImageStatic from 'ol/source/ImageStatic.js';
import OGCMapTile from 'ol/source/OGCMapTile.js';
import OGCVectorTile from 'ol/source/OGCVectorTile.js';
import VectorSource from 'ol/source/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import { fromUrl } from 'geotiff';
import { LAEA } from '../projections.js';
import { getJson, h, shown } from './common.js';

export const VIEW_PROJECTION = LAEA.getCode();
const OGC_REL = 'http://www.opengis.net/def/rel/ogc/1.0';
const PREVIEW_SIDE = 1024; // GeoTIFF previews are decoded at most this wide (an overview)

/** The configured basemap (``LANDGRID_BASEMAP_URL``, off by default) as a layer, or null. */
function basemap() {
  const meta = document.querySelector('meta[name="landgrid-basemap"]');
  if (!meta) return null;
  const attributions = meta.dataset.attribution || undefined;
  return new TileLayer({ source: new XYZ({ url: meta.content, attributions }), className: 'basemap' });
}

/** A map in ``target`` (a focusable element: arrow keys pan, + and - zoom). */
export function createMap(target, layers = [], projection = VIEW_PROJECTION) {
  const under = basemap();
  return new Map({
    target,
    layers: under ? [under, ...layers] : layers,
    controls: controlDefaults({ rotate: false }).extend([new ScaleLine()]),
    view: new View({ projection, constrainResolution: false }),
    keyboardEventTarget: target,
  });
}

/** Fit the view to a CRS84 bounding box. */
export function fitLonLat(map, bbox, padding = 20) {
  const view = map.getView();
  const extent = transformExtent(bbox, 'EPSG:4326', view.getProjection());
  view.fit(extent, { padding: [padding, padding, padding, padding] });
}

/** code -> '#RRGGBB' of a legend (``[{code, colour, label}]``). */
export function colourTable(legend) {
  return new globalThis.Map((legend ?? []).map((c) => [Number(c.code), c.colour]));
}

function rgba(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A style function colouring features by their ``code`` property with the legend. */
export function legendStyle(legend) {
  const colours = colourTable(legend);
  const cache = new globalThis.Map();
  const fallback = new Style({
    fill: new Fill({ color: 'rgba(11, 92, 173, 0.25)' }),
    stroke: new Stroke({ color: '#0b5cad', width: 1.25 }),
  });
  return (feature) => {
    const colour = colours.get(Number(feature.get('code')));
    if (!colour) return fallback;
    if (!cache.has(colour)) {
      cache.set(
        colour,
        new Style({
          fill: new Fill({ color: rgba(colour, 0.75) }),
          stroke: new Stroke({ color: 'rgba(0, 0, 0, 0.45)', width: 0.75 }),
        }),
      );
    }
    return cache.get(colour);
  };
}

/** The attributes of a feature as a small table. */
export function attributes(properties, exclude = ['geometry', 'layer']) {
  const rows = Object.entries(properties)
    .filter(([name]) => !exclude.includes(name))
    .map(([name, value]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, shown(value))));
  return h('table', {}, h('tbody', {}, rows));
}

/** A popup overlay on ``element``; ``show(feature, coordinate)``, ``hide()``. */
export function popup(map, element) {
  const overlay = new Overlay({ element, autoPan: { animation: { duration: 150 } }, offset: [0, -8],
    positioning: 'bottom-center' });
  map.addOverlay(overlay);
  return {
    show(feature, coordinate, title) {
      const props = { ...feature.getProperties() };
      const id = feature.getId() ?? props.id;
      element.replaceChildren(h('strong', {}, title ?? (id !== undefined ? `Feature ${id}` : 'Feature')),
        attributes(props));
      element.hidden = false;
      overlay.setPosition(coordinate);
    },
    hide() {
      element.hidden = true;
      overlay.setPosition(undefined);
    },
  };
}

/**
 * Call ``act(coordinate, pixel)`` on a click, and on Enter with the map focused at the
 * view's centre, so that keyboard users can ask what is where.
 */
export function onActivate(map, act) {
  map.on('singleclick', (event) => act(event.coordinate, event.pixel));
  map.getTargetElement().addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    const coordinate = map.getView().getCenter();
    act(coordinate, map.getPixelFromCoordinate(coordinate));
  });
}

/** A collection's extent in the view's CRS: its storage CRS bbox when that is the view's
 * CRS (exactly the grid of a raster product), else its CRS84 bbox transformed. */
export function productExtent(collection) {
  const spatial = collection.extent.spatial;
  const storage = collection.storageCrs && getProjection(collection.storageCrs);
  if (spatial.storageCrsBbox && storage && equivalent(storage, getProjection(VIEW_PROJECTION))) {
    // in the CRS's own axis order (Coverages rc2): northing first for EPSG:3035
    const [a, b, c, d] = spatial.storageCrsBbox[0];
    return storage.getAxisOrientation().startsWith('ne') ? [b, a, d, c] : [a, b, c, d];
  }
  return transformExtent(spatial.bbox[0], 'EPSG:4326', VIEW_PROJECTION, 8);
}

/** A URL with some query parameters set (``null``/empty values removed). */
export function withQuery(url, params) {
  const u = new URL(url, window.location.href);
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') u.searchParams.delete(name);
    else u.searchParams.set(name, value);
  }
  return u.toString();
}

/**
 * The URL of a collection's tileset in the view's CRS, found through the collection's
 * tilesets link (``rel``: ``tilesets-map`` or ``tilesets-vector``), or null.
 */
export async function tilesetUrl(collection, rel) {
  const link = collection.links.find((l) => l.rel === `${OGC_REL}/${rel}`);
  if (!link) return null;
  const list = await getJson(link.href);
  const view = getProjection(VIEW_PROJECTION);
  const tileset = list.tilesets.find((t) => getProjection(t.crs) && equivalent(getProjection(t.crs), view));
  return tileset?.links.find((l) => l.rel === 'self')?.href ?? null;
}

/**
 * A raster product's map tiles (the legend's colours, OGC API - Maps tilesets) as a layer;
 * ``showYear(layer, year)`` changes the year it shows.
 */
export function productLayer(collection, year, className = 'ol-layer') {
  const layer = new TileLayer({ className, extent: productExtent(collection) });
  const ready = tilesetUrl(collection, 'tilesets-map');
  layer.set('tileset', ready);
  showYear(layer, year);
  return layer;
}

export async function showYear(layer, year) {
  const url = await layer.get('tileset');
  if (!url) return;
  layer.setSource(new OGCMapTile({ url: withQuery(url, { datetime: year }), mediaType: 'image/png',
    interpolate: false,
    transition: 0 }));
}

/**
 * A vector collection's tiles (MVT, OGC API - Tiles) coloured by the legend;
 * ``showFilter(layer, cql2)`` applies a CQL2 text filter (rejects with the server's message).
 */
export function vectorTilesLayer(collection, legend) {
  const layer = new VectorTileLayer({ style: legendStyle(legend), declutter: false });
  layer.set('tileset', tilesetUrl(collection, 'tilesets-vector'));
  return layer;
}

export async function showFilter(layer, filter) {
  const base = await layer.get('tileset');
  if (!base) return;
  const url = withQuery(base, { filter, 'filter-lang': filter ? 'cql2-text' : null });
  await getJson(url); // the tileset document: a bad filter answers 400 with the reason
  layer.setSource(new OGCVectorTile({ url, format: new MVT(), projection: VIEW_PROJECTION, transition: 0 }));
}

/** Features of a GeoJSON document in CRS84 as a layer coloured by the legend. */
export function geojsonLayer(doc, legend) {
  const format = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: VIEW_PROJECTION });
  return new VectorLayer({
    source: new VectorSource({ features: format.readFeatures(doc) }),
    style: legendStyle(legend),
  });
}

/** A map of features already in the page (items, an item, a published collection). */
export function featureMap(target, doc, legend, popupElement) {
  const layer = geojsonLayer(doc, legend);
  const map = createMap(target, [layer]);
  const extent = layer.getSource().getExtent();
  if (Number.isFinite(extent[0])) {
    map.getView().fit(extent, { padding: [20, 20, 20, 20], maxZoom: 16 });
  } else {
    map.getView().setCenter(getCenter(LAEA.getExtent()));
    map.getView().setZoom(2);
  }
  if (popupElement) {
    const pop = popup(map, popupElement);
    onActivate(map, (coordinate, pixel) => {
      const feature = map.forEachFeatureAtPixel(pixel, (f) => f, { hitTolerance: 3 });
      if (feature) pop.show(feature, coordinate);
      else pop.hide();
    });
  }
  return map;
}

/**
 * A GeoTIFF of a job (extract, change raster) drawn with its legend: decoded here from an
 * overview at most PREVIEW_SIDE wide, nodata transparent, on a map in the file's own CRS.
 * @return {Promise<Map>}
 */
export async function geotiffMap(target, url, legend) {
  const tiff = await fromUrl(url, { allowFullFile: true });
  const image = await tiff.getImage();
  const keys = image.getGeoKeys() ?? {};
  const epsg = keys.ProjectedCSTypeGeoKey ?? keys.GeographicTypeGeoKey;
  const code = `EPSG:${epsg}`;
  if (!epsg || !getProjection(code)) {
    target.replaceChildren(h('p', { class: 'notice' }, `No map preview for ${code} files.`));
    return null;
  }
  const width = Math.min(image.getWidth(), PREVIEW_SIDE);
  const height = Math.max(1, Math.round((image.getHeight() * width) / image.getWidth()));
  const [band] = await tiff.readRasters({ samples: [0], width, height });
  const canvas = paint(band, width, height, colourTable(legend), image.getGDALNoData());
  const extent = image.getBoundingBox();
  const layer = new ImageLayer({
    source: new ImageStatic({ url: canvas.toDataURL(), imageExtent: extent, projection: code,
      interpolate: false }),
  });
  const outline = new VectorLayer({
    source: new VectorSource({ features: [new Feature(fromExtent(extent))] }),
    style: new Style({ stroke: new Stroke({ color: '#5a6775', width: 1, lineDash: [4, 4] }) }),
  });
  const map = createMap(target, [layer, outline], code);
  map.getView().fit(extent, { padding: [10, 10, 10, 10] });
  return map;
}

function paint(codes, width, height, colours, nodata) {
  const lut = new Uint8ClampedArray(256 * 4);
  for (const [code, colour] of colours) {
    const n = parseInt(colour.slice(1), 16);
    lut.set([n >> 16, (n >> 8) & 255, n & 255, 255], code * 4);
  }
  if (nodata !== null && nodata !== undefined) lut[nodata * 4 + 3] = 0;
  const canvas = h('canvas', { width, height });
  const context = canvas.getContext('2d');
  const pixels = context.createImageData(width, height);
  const lut32 = new Uint32Array(lut.buffer); // one RGBA word per code, in the canvas' byte order
  const out32 = new Uint32Array(pixels.data.buffer);
  for (let i = 0; i < codes.length; i += 1) out32[i] = lut32[codes[i]];
  context.putImageData(pixels, 0, 0);
  return canvas;
}

/** The maps of a results section: GeoTIFF outputs and published collections. */
export function resultMaps(root) {
  for (const target of root.querySelectorAll('.result-map[data-cog]')) {
    const legend = JSON.parse(target.dataset.legend || '[]');
    geotiffMap(target, target.dataset.cog, legend).catch((error) => {
      target.replaceChildren(h('p', { class: 'notice error' }, `Cannot draw this file: ${error.message}`));
    });
  }
  for (const target of root.querySelectorAll('.result-map[data-items]')) {
    const legend = JSON.parse(target.dataset.legend || '[]');
    getJson(target.dataset.items)
      .then((doc) => featureMap(target, doc, legend, null))
      .catch((error) => {
        target.replaceChildren(h('p', { class: 'notice error' }, `Cannot read the features: ${error.message}`));
      });
  }
}
