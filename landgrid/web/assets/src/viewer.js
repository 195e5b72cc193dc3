// The OpenLayers subset that Landgrid's map pages use, bundled by build.mjs into
// static/dist/viewer.js as the global `landgrid.ol`. Only what is imported here is shipped
// (esbuild tree-shakes the rest), so a page needing another class adds it here.
// The namespace mirrors OpenLayers' module paths: `landgrid.ol.layer.Tile` is `ol/layer/Tile`.

import Map from 'ol/Map.js';
import Overlay from 'ol/Overlay.js';
import View from 'ol/View.js';
import { defaults as controlDefaults } from 'ol/control/defaults.js';
import * as extent from 'ol/extent.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import MVT from 'ol/format/MVT.js';
import ImageLayer from 'ol/layer/Image.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import * as proj from 'ol/proj.js';
import ImageStatic from 'ol/source/ImageStatic.js';
import OGCMapTile from 'ol/source/OGCMapTile.js';
import OGCVectorTile from 'ol/source/OGCVectorTile.js';
import VectorSource from 'ol/source/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import Circle from 'ol/style/Circle.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';
import { defineProjection, proj4 } from './projections.js';

export { Map, Overlay, View, defineProjection, extent, proj, proj4 };
export const control = { defaults: controlDefaults };
export const format = { GeoJSON, MVT };
export const layer = {
  Image: ImageLayer,
  Tile: TileLayer,
  Vector: VectorLayer,
  VectorTile: VectorTileLayer,
};
export const source = { ImageStatic, OGCMapTile, OGCVectorTile, Vector: VectorSource, XYZ };
export const style = { Circle, Fill, Stroke, Style, Text };
