// The field of an area input (an AOI, or zones): drawn on a map over the selected product
// or pasted as GeoJSON; the text box is the value, the map edits it. Zones may instead name
// features of a collection of this server with a CQL2 filter.

import Feature from 'ol/Feature.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { fromExtent } from 'ol/geom/Polygon.js';
import Draw, { createBox } from 'ol/interaction/Draw.js';
import Modify from 'ol/interaction/Modify.js';
import VectorLayer from 'ol/layer/Vector.js';
import { get as getProjection, transformExtent } from 'ol/proj.js';
import VectorSource from 'ol/source/Vector.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import { h } from './common.js';
import { VIEW_PROJECTION, createMap, fitLonLat, productLayer } from './maps.js';

const LONLAT = { dataProjection: 'EPSG:4326', featureProjection: VIEW_PROJECTION, decimals: 6 };
const STYLE = new Style({
  fill: new Fill({ color: 'rgba(255, 214, 0, 0.2)' }),
  stroke: new Stroke({ color: '#d14900', width: 2.5 }),
});

function alternatives(schema) {
  return schema.oneOf ?? schema.anyOf ?? [schema];
}

/**
 * @param {string} id the input's id
 * @param {object} spec its description
 * @param {*} initial the example's value
 * @param {Array} catalogue the products ({id, title, coverage, years, doc})
 * @param {function(): object|undefined} selectedProduct the product picked in the form
 */
export function areaField(id, spec, initial, catalogue, selectedProduct) {
  const schemas = alternatives(spec.schema ?? {});
  const zones = schemas.some((s) => s.properties?.type?.const === 'FeatureCollection');
  const byReference = schemas.some((s) => 'collection' in (s.properties ?? {}));
  const isReference = byReference && initial && typeof initial === 'object' && 'collection' in initial;

  const text = h('textarea', { id: `input-${id}`, name: id, rows: 6, spellcheck: 'false',
    'aria-label': `${spec.title ?? id} as GeoJSON (longitude, latitude)` },
  initial && !isReference ? JSON.stringify(initial, null, 1) : '');
  const target = h('div', { class: 'map small', tabindex: 0, role: 'application',
    'aria-label': `Map to draw ${spec.title ?? id}: arrow keys pan, + and - zoom; or paste GeoJSON below` });
  const source = new VectorSource();
  const map = createMap(target, [new VectorLayer({ source, style: STYLE, zIndex: 10 })]);
  const format = new GeoJSON();
  let background = null;
  let draw = null;
  const modify = new Modify({ source });
  map.addInteraction(modify);

  // the map writes the text ...
  const write = () => {
    const geometries = source.getFeatures().map((f) => format.writeGeometryObject(f.getGeometry(), LONLAT));
    if (!geometries.length) {
      text.value = '';
      return;
    }
    const value = zones
      ? { type: 'FeatureCollection', features: geometries.map((geometry, i) => ({ type: 'Feature',
        id: `zone-${i + 1}`, properties: { name: `zone ${i + 1}` }, geometry })) }
      : geometries.length === 1 ? geometries[0]
        : { type: 'MultiPolygon', coordinates: geometries.flatMap((g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates)) };
    text.value = JSON.stringify(value, null, 1);
  };
  modify.on('modifyend', write);
  // ... and the text, when it is GeoJSON (CRS84) or a bbox object, draws on the map
  const read = () => {
    source.clear();
    let value;
    try {
      value = JSON.parse(text.value);
    } catch {
      return;
    }
    source.addFeatures(featuresOf(value, format));
    const extent = source.getExtent();
    if (source.getFeatures().length) map.getView().fit(extent, { padding: [30, 30, 30, 30], maxZoom: 15 });
  };
  text.addEventListener('change', read);

  const tool = (label, options) => h('button', { type: 'button', onclick: () => {
    if (draw) map.removeInteraction(draw);
    draw = new Draw({ source, type: options.type, geometryFunction: options.box ? createBox() : undefined,
      style: STYLE });
    if (!zones) draw.on('drawstart', () => source.clear());
    draw.on('drawend', () => setTimeout(write));
    map.addInteraction(draw);
    target.focus();
  } }, label);
  const tools = h('div', { class: 'row' },
    tool('Draw a rectangle', { type: 'Circle', box: true }),
    tool('Draw a polygon', { type: 'Polygon' }),
    h('button', { type: 'button', onclick: () => { if (draw) map.removeInteraction(draw); draw = null; } }, 'Stop drawing'),
    h('button', { type: 'button', onclick: () => { source.clear(); write(); } }, 'Clear'));
  const drawn = h('div', { class: 'area' }, target, tools,
    h('label', { for: text.id, class: 'small' }, 'GeoJSON (longitude, latitude; pasted or drawn)'), text);

  // zones by reference: a vector product and an optional CQL2 filter
  const vectors = catalogue.filter((c) => !c.coverage);
  const collection = h('select', { id: `input-${id}-collection`, 'aria-label': 'Collection of the zones' },
    vectors.map((c) => h('option', { value: c.id, selected: isReference && c.id === initial.collection }, c.title)));
  const filter = h('input', { type: 'text', id: `input-${id}-filter`, spellcheck: 'false',
    value: isReference ? initial.filter ?? '' : '', placeholder: 'e.g. code = 3' });
  const referenced = h('div', { class: 'area', hidden: !isReference },
    h('label', { for: collection.id }, 'Collection'), collection,
    h('label', { for: filter.id }, 'CQL2 filter (optional)'), filter);
  let mode = isReference ? 'reference' : 'drawn';
  const choice = byReference && vectors.length
    ? h('div', { class: 'choices', role: 'radiogroup', 'aria-label': `How to give ${spec.title ?? id}` },
      [['drawn', 'Draw or paste'], ['reference', 'Features of a collection']].map(([value, label]) => {
        const radio = h('input', { type: 'radio', name: `${id}-mode`, value, checked: value === mode,
          id: `${id}-mode-${value}`, onchange: () => {
            mode = value;
            drawn.hidden = value !== 'drawn';
            referenced.hidden = value !== 'reference';
            if (value === 'drawn') map.updateSize();
          } });
        return h('label', { for: radio.id }, radio, ` ${label}`);
      }))
    : null;
  drawn.hidden = mode !== 'drawn';

  const showProduct = () => {
    const product = selectedProduct() ?? catalogue.find((c) => c.coverage);
    if (background) map.removeLayer(background);
    background = null;
    if (product?.coverage && product.years.length) {
      background = productLayer(product.doc, product.years.at(-1));
      map.addLayer(background); // under the drawn area (zIndex), over any basemap
    }
    if (product && !source.getFeatures().length) fitLonLat(map, product.doc.extent.spatial.bbox[0]);
  };

  return {
    element: h('div', {}, choice, drawn, referenced),
    group: true,
    input: text,
    describe: (helpId) => text.setAttribute('aria-describedby', helpId),
    productChanged: showProduct,
    init() {
      showProduct();
      read();
    },
    value() {
      if (mode === 'reference') {
        const filterText = filter.value.trim();
        return { collection: collection.value, ...(filterText ? { filter: filterText, 'filter-lang': 'cql2-text' } : {}) };
      }
      const raw = text.value.trim();
      if (!raw) return undefined;
      try {
        return JSON.parse(raw);
      } catch (error) {
        throw Object.assign(new Error(`input '${id}': not valid JSON (${error.message})`), { id });
      }
    },
  };
}

/** Map features of a GeoJSON value in CRS84, or of an OGC bbox object in its CRS. */
function featuresOf(value, format) {
  if (value && Array.isArray(value.bbox) && !value.type) {
    const crs = value.crs && getProjection(value.crs) ? value.crs : 'EPSG:4326';
    const extent = transformExtent(value.bbox, crs, VIEW_PROJECTION);
    return [new Feature(fromExtent(extent))];
  }
  try {
    return format.readFeatures(value, LONLAT);
  } catch {
    return [];
  }
}
