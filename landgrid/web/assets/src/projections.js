// The CRSs our pages and the `landgrid.ol` bundle know, registered with proj4 so that
// OpenLayers can transform and reproject to and from them.

import proj4 from 'proj4';
import * as proj from 'ol/proj.js';
import { register } from 'ol/proj/proj4.js';

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
export function defineProjection(codes, definition, options = {}) {
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
export const LAEA = defineProjection(
  ['EPSG:3035', 'http://www.opengis.net/def/crs/EPSG/0/3035', 'urn:ogc:def:crs:EPSG::3035'],
  '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 ' +
    '+towgs84=0,0,0,0,0,0,0 +units=m +no_defs',
  { extent: [2000000, 1000000, 6500000, 5500000], axisOrientation: 'neu' },
);

export { proj4 };
