// The collection page's map. Raster products: a year selector, a swipe comparison of two
// years, and the class under the cursor from a point query of the coverage. Vector
// products: the features coloured by the legend, a popup of attributes, and the CQL2
// filter box applied to the map and to the items list below it.

import { transform, transformExtent } from 'ol/proj.js';
import { getRenderPixel } from 'ol/render.js';
import { getJson, h, readJson, say, shown } from './common.js';
import {
  VIEW_PROJECTION,
  createMap,
  fitLonLat,
  onActivate,
  popup,
  productExtent,
  productLayer,
  showFilter,
  showYear,
  vectorTilesLayer,
} from './maps.js';

const doc = readJson('collection-doc');
const legend = readJson('legend-doc', []);
const href = doc.links.find((l) => l.rel === 'self').href;
const target = document.getElementById('map');
const probe = document.getElementById('probe');
const map = createMap(target);
const shared = viewFromHash();
fitLonLat(map, shared ?? doc.extent.spatial.bbox[0], shared ? 0 : 20);
map.on('moveend', () => {
  const extent = transformExtent(map.getView().calculateExtent(), VIEW_PROJECTION, 'EPSG:4326');
  history.replaceState(null, '', `#bbox=${extent.map((v) => v.toFixed(5)).join(',')}`);
});
if (doc.layerDataType === 'Coverage') rasterViewer();
else vectorViewer();

/** A view given in the address (``#bbox=w,s,e,n`` in CRS84), so a view can be shared. */
function viewFromHash() {
  const bbox = new URLSearchParams(location.hash.slice(1)).get('bbox')?.split(',').map(Number);
  return bbox?.length === 4 && bbox.every(Number.isFinite) ? bbox : null;
}

// ---- raster products ------------------------------------------------------------------

function rasterViewer() {
  const yearSelect = document.getElementById('year');
  const compare = document.getElementById('compare');
  const yearB = document.getElementById('year-b');
  const swipe = document.getElementById('swipe');
  if (!yearSelect) return; // a product without any year yet
  const main = productLayer(doc, yearSelect.value, 'ol-layer year-main');
  const other = productLayer(doc, yearB?.value ?? yearSelect.value, 'ol-layer year-compare');
  other.setVisible(false);
  other.on('prerender', clip);
  other.on('postrender', (event) => {
    event.context.restore();
    line(event);
  });
  const labels = [h('span', { class: 'swipe-label left' }), h('span', { class: 'swipe-label right' })];
  target.append(...labels);
  const label = () => {
    labels[0].textContent = yearB?.value ?? '';
    labels[1].textContent = yearSelect.value;
    for (const l of labels) l.hidden = !compare?.checked;
  };
  label();
  map.addLayer(main);
  map.addLayer(other);

  /** Draw the compared year only left of the swipe line. */
  function clip(event) {
    const [width, height] = map.getSize();
    const topLeft = getRenderPixel(event, [0, 0]);
    const bottomRight = getRenderPixel(event, [(width * Number(swipe.value)) / 100, height]);
    event.context.save();
    event.context.beginPath();
    event.context.rect(topLeft[0], topLeft[1], bottomRight[0] - topLeft[0], bottomRight[1] - topLeft[1]);
    event.context.clip();
  }

  /** The swipe line, so that the eye sees where one year ends. */
  function line(event) {
    const [width, height] = map.getSize();
    const x = (width * Number(swipe.value)) / 100;
    const [top, bottom] = [getRenderPixel(event, [x, 0]), getRenderPixel(event, [x, height])];
    const context = event.context;
    context.save();
    context.beginPath();
    context.moveTo(top[0], top[1]);
    context.lineTo(bottom[0], bottom[1]);
    context.lineWidth = 3;
    context.strokeStyle = 'rgba(255, 255, 255, 0.9)';
    context.stroke();
    context.lineWidth = 1;
    context.strokeStyle = 'rgba(0, 0, 0, 0.7)';
    context.stroke();
    context.restore();
  }

  yearSelect.addEventListener('change', () => {
    showYear(main, yearSelect.value);
    label();
    lastProbe = null;
  });
  compare?.addEventListener('change', () => {
    other.setVisible(compare.checked);
    swipe.disabled = !compare.checked;
    label();
    lastProbe = null;
  });
  yearB?.addEventListener('change', () => {
    showYear(other, yearB.value);
    label();
    lastProbe = null;
  });
  swipe?.addEventListener('input', () => map.render());

  // the class under the cursor, by a point query of the coverage (debounced, latest wins)
  let timer = null;
  let lastProbe = null;
  let controller = null;
  const ask = (coordinate) => {
    clearTimeout(timer);
    timer = setTimeout(() => classesAt(coordinate), 120);
  };
  map.on('pointermove', (event) => !event.dragging && ask(event.coordinate));
  onActivate(map, (coordinate) => classesAt(coordinate));

  async function classesAt(coordinate) {
    const years = [yearSelect.value];
    if (compare?.checked && yearB.value !== yearSelect.value) years.push(yearB.value);
    const key = `${Math.round(coordinate[0])},${Math.round(coordinate[1])},${years}`;
    if (key === lastProbe) return;
    lastProbe = key;
    controller?.abort();
    controller = new AbortController();
    try {
      const answers = await Promise.all(years.map((y) => classAt(coordinate, y, controller.signal)));
      showProbe(coordinate, answers);
    } catch (error) {
      if (error.name !== 'AbortError') say(probe, `No class here (${error.message}).`);
    }
  }
}

/** The code at a point in one year: a one-pixel subset of the coverage as CoverageJSON. */
async function classAt(coordinate, year, signal) {
  const [x, y] = coordinate;
  const [xmin, ymin, xmax, ymax] = productExtent(doc);
  if (x < xmin || x > xmax || y < ymin || y > ymax) return { year, code: null };
  const params = new URLSearchParams([['subset', `E(${x})`], ['subset', `N(${y})`],
    ['datetime', `${year}-01-01`], ['f', 'coveragejson']]);
  const coverage = await getJson(`${href}/coverage?${params}`, { signal });
  const range = Object.values(coverage.ranges)[0];
  return { year, code: range.values[0] };
}

function showProbe(coordinate, answers) {
  const rows = document.querySelectorAll('#legend tr[data-code]');
  rows.forEach((row) => row.classList.remove('active'));
  const [lon, lat] = transform(coordinate, VIEW_PROJECTION, 'EPSG:4326');
  const where = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  const lines = answers.map(({ year, code }) => {
    const entry = legend.find((c) => c.code === code);
    if (code === null || code === undefined || !entry) return h('div', {}, `${year}: outside the product`);
    document.querySelector(`#legend tr[data-code="${code}"]`)?.classList.add('active');
    return h('div', { dataset: { year, code } },
      h('span', { class: 'swatch', style: `background: ${entry.colour}` }), ` ${year}: `,
      h('strong', {}, entry.label), ` (code ${code})`);
  });
  probe.replaceChildren(...lines, h('div', { class: 'small muted' }, where));
}

// ---- vector products ------------------------------------------------------------------

function vectorViewer() {
  const form = document.getElementById('filter');
  const input = document.getElementById('filter-text');
  const error = document.getElementById('filter-error');
  const items = `${href}/items`;
  const layer = vectorTilesLayer(doc, legend);
  map.addLayer(layer);
  let filter = input.value.trim();

  const pop = popup(map, document.getElementById('popup'));
  onActivate(map, (coordinate, pixel) => {
    const feature = map.forEachFeatureAtPixel(pixel, (f) => f, { hitTolerance: 3 });
    if (!feature) {
      pop.hide();
      say(probe, 'No feature here.');
      return;
    }
    pop.show(feature, coordinate);
    say(probe, `Feature ${feature.getId()}: ${shown(feature.get('label') ?? '')}`);
  });

  let asked = 0; // a slower earlier answer must not replace the list of the last filter
  async function list() {
    const mine = ++asked;
    const params = new URLSearchParams({ limit: 10, f: 'json' });
    if (filter) params.set('filter', filter);
    const box = document.getElementById('items');
    try {
      const page = await getJson(`${items}?${params}`);
      if (mine !== asked) return;
      box.replaceChildren(itemsTable(page.features));
      say(error, '');
    } catch (e) {
      if (mine !== asked) return;
      box.replaceChildren();
      say(error, e.message);
    }
    const link = new URLSearchParams({ f: 'html' });
    if (filter) link.set('filter', filter);
    document.getElementById('items-link').href = `${items}?${link}`;
  }

  async function apply() {
    filter = input.value.trim();
    pop.hide();
    list();
    try {
      await showFilter(layer, filter);
    } catch (e) {
      say(error, e.message);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener('reset', () => setTimeout(apply));
  apply();
}

function itemsTable(features) {
  if (!features.length) return h('p', {}, 'No item matches.');
  const columns = Object.keys(features[0].properties);
  const colours = new globalThis.Map(legend.map((c) => [c.code, c.colour]));
  return h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'id'),
      columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, features.map((f) => h('tr', {},
      h('td', {}, h('a', { href: `${href}/items/${encodeURIComponent(f.id)}?f=html` }, String(f.id))),
      columns.map((c) => h('td', {},
        c === 'code' && colours.has(f.properties[c])
          ? h('span', { class: 'swatch', style: `background: ${colours.get(f.properties[c])}` })
          : null,
        c === 'code' ? ' ' : null, shown(f.properties[c])))))));
}

