// The OpenLayers subset that Landgrid's map pages use, bundled by build.mjs into
// static/dist/viewer.js as the global `landgrid.ol`. Only what is imported here is shipped
// (esbuild tree-shakes the rest), so a page needing another class adds it here.
// The namespace mirrors OpenLayers' module paths: `landgrid.ol.layer.Tile` is `ol/layer/Tile`.

import proj4 from 'proj4';
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
import { register } from 'ol/proj/proj4.js';
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

/**
 * Define a CRS with proj4 under all the names it is given and make OpenLayers know it.
 * Every name is needed: OGC API documents name a CRS by its URI, OpenLayers looks it up
 * verbatim. The names share one definition, so OpenLayers treats them as equivalent.
 *
 * @param {Array<string>} codes e.g. ['EPSG:3035', 'http://www.opengis.net/def/crs/EPSG/0/3035']
 * @param {string} definition proj4 string or WKT
 * @param {{extent?: import('ol/extent.js').Extent, axisOrientation?: string}} [options]
 *   extent: the projection's validity extent (what XYZ grids and views default to);
 *   axisOrientation: the CRS's own axis order, 'neu' for northing first, as OGC tile matrix
 *   sets without `orderedAxes` give their origins in it
 * @return {import('ol/proj/Projection.js').default} the projection of the first code
 */
function defineProjection(codes, definition, options = {}) {
  proj4.defs(codes[0], definition);
  for (const code of codes.slice(1)) proj4.defs(code, proj4.defs(codes[0]));
  for (const code of codes) {
    proj.addProjection(
      new proj.Projection({
        code,
        units: 'm',
        extent: options.extent,
        axisOrientation: options.axisOrientation ?? 'enu',
      }),
    );
  }
  register(proj4);
  return proj.get(codes[0]);
}

// ETRS89-extended / LAEA Europe, the EEA reference grid of the raster products. Northing
// first, as EPSG defines it; the extent is the bounding box of OGC's EuropeanETRS89_LAEAQuad
// tile matrix set (2000000-6500000 E, 1000000-5500000 N).
defineProjection(
  ['EPSG:3035', 'http://www.opengis.net/def/crs/EPSG/0/3035', 'urn:ogc:def:crs:EPSG::3035'],
  '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 ' +
    '+towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  { extent: [2000000, 1000000, 6500000, 5500000], axisOrientation: 'neu' },
);

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
