// The process page's form, generated from the process description: one field per input,
// its control chosen from the input's JSON schema (enums as selects, booleans as boxes,
// numbers with their bounds, several values as a list, areas drawn on a map or pasted as
// GeoJSON, products and years picked from the catalogue), filled with the example.
// Submitted as an asynchronous job; the server validates, and its message is shown when
// it refuses, on the input it names.

import { ApiError, base, getJson, h, readJson, request, say, yearOf } from './common.js';
import { areaField } from './area.js';

const process = readJson('process-doc');
const form = document.getElementById('process-form');
const example = process.example?.inputs ?? {};
const catalogue = await loadCatalogue();
const fields = Object.entries(process.inputs).map(([id, spec]) => field(id, spec));
let productField = fields.find((f) => f.id === 'product');

render();

/** Products of the catalogue: id, title, kind, years, collection document. */
async function loadCatalogue() {
  try {
    const doc = await getJson(`${base()}/collections?f=json`);
    return doc.collections.map((c) => ({
      id: c.id,
      title: c.title,
      coverage: c.layerDataType === 'Coverage',
      years: (c.extent?.temporal?.values ?? []).map(yearOf),
      doc: c,
    }));
  } catch {
    return [];
  }
}

// ---- fields ---------------------------------------------------------------------------

function many(spec) {
  return spec.maxOccurs === 'unbounded' || Number(spec.maxOccurs ?? 1) > 1;
}

function required(spec) {
  return Number(spec.minOccurs ?? 1) > 0;
}

/** The field of one input: {id, element, value() (undefined: left out), focus()}. */
function field(id, spec) {
  const schema = spec.schema ?? {};
  const control = id === 'product' && schema.type === 'string' ? productControl(id, spec)
    : /^year/i.test(id) && schema.type === 'integer' ? yearControl(id, spec)
    : isArea(schema) ? areaField(id, spec, example[id], catalogue, () => selectedProduct())
    : many(spec) ? listControl(id, spec)
    : scalarControl(id, schema, example[id]);
  const help = spec.description ? h('p', { class: 'help', id: `${id}-help` }, spec.description) : null;
  const label = control.group
    ? h('span', { class: 'label', id: `${id}-label` }, spec.title ?? id)
    : h('label', { for: `input-${id}` }, spec.title ?? id);
  label.append(' ', h('code', { class: 'small muted' }, id));
  if (required(spec)) label.append(' ', h('span', { class: 'required', title: 'required' }, '*'));
  const element = h('div', { class: 'field', dataset: { input: id },
    role: control.group ? 'group' : null, 'aria-labelledby': control.group ? `${id}-label` : null },
  label, help, control.element);
  if (help) control.describe?.(`${id}-help`);
  return { ...control, id, spec, element };
}

function isArea(schema) {
  const alternatives = schema.oneOf ?? schema.anyOf ?? [schema];
  return alternatives.some((s) => {
    const props = s.properties ?? {};
    return 'coordinates' in props || 'bbox' in props || props.type?.const === 'FeatureCollection';
  });
}

/** A control for one value of a simple schema: select, checkbox, number or text. */
function scalarControl(id, schema, initial, inputId = `input-${id}`) {
  const start = initial ?? schema.default;
  let input;
  if (schema.enum) {
    input = h('select', { id: inputId, name: id },
      h('option', { value: '' }, schema.default !== undefined ? `(default: ${schema.default})` : '(none)'),
      schema.enum.map((v) => h('option', { value: JSON.stringify(v), selected: v === initial }, String(v))));
    return { element: input, value: () => (input.value === '' ? undefined : JSON.parse(input.value)), input };
  }
  if (schema.type === 'boolean') {
    input = h('input', { id: inputId, name: id, type: 'checkbox', checked: Boolean(start) });
    return { element: h('div', {}, input), value: () => input.checked, input };
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    input = h('input', { id: inputId, name: id, type: 'number', inputmode: 'decimal',
      min: schema.minimum, max: schema.maximum, step: schema.type === 'integer' ? 1 : 'any',
      value: initial ?? '', placeholder: schema.default ?? '' });
    return { element: input, value: () => (input.value === '' ? undefined : Number(input.value)), input };
  }
  if (schema.type === 'string') {
    input = h('input', { id: inputId, name: id, type: 'text', value: initial ?? '',
      placeholder: schema.default ?? '', maxlength: schema.maxLength, spellcheck: 'false' });
    return { element: input, value: () => (input.value === '' ? undefined : input.value), input };
  }
  // anything else: JSON, as the API takes it
  input = h('textarea', { id: inputId, name: id, rows: 4, spellcheck: 'false' },
    initial === undefined ? '' : JSON.stringify(initial, null, 1));
  return { element: input, value: () => parseJson(id, input), input };
}

/** Several values of one schema: a row per value, with add and remove buttons. */
function listControl(id, spec) {
  const rows = h('div', { class: 'list' });
  const values = [];
  const add = (initial) => {
    const control = scalarControl(id, spec.schema ?? {}, initial, `input-${id}-${values.length}`);
    control.input.setAttribute('aria-label', `${spec.title ?? id}, value ${values.length + 1}`);
    const row = h('div', { class: 'row' }, control.element,
      h('button', { type: 'button', onclick: () => { row.remove(); values.splice(values.indexOf(control), 1); } },
        'Remove'));
    values.push(control);
    rows.append(row);
  };
  for (const v of [].concat(example[id] ?? [])) add(v);
  if (!values.length) add(undefined);
  const element = h('div', {}, rows, h('button', { type: 'button', onclick: () => add(undefined) }, 'Add a value'));
  return {
    element,
    group: true,
    value() {
      const all = values.map((c) => c.value()).filter((v) => v !== undefined);
      return all.length ? all : undefined;
    },
    get input() {
      return values[0]?.input;
    },
  };
}

/** The product picker: every collection of the catalogue; changing it updates the years. */
function productControl(id, spec) {
  const input = h('select', { id: `input-${id}`, name: id },
    required(spec) ? null : h('option', { value: '' }, '(none)'),
    catalogue.map((c) => h('option', { value: c.id, selected: c.id === example[id] },
      `${c.title} (${c.id}${c.coverage ? '' : ', features'})`)));
  if (!catalogue.length) return scalarControl(id, spec.schema, example[id]);
  input.addEventListener('change', () => {
    for (const f of fields) f.productChanged?.();
  });
  return { element: input, input, value: () => input.value || undefined };
}

function selectedProduct() {
  const id = productField?.value();
  return catalogue.find((c) => c.id === id);
}

/** Years of the selected product: a box per year (several) or a select (one). */
function yearControl(id, spec) {
  const wrapper = h('div', {});
  const several = many(spec);
  let read = () => undefined;
  let input = null;
  const fill = () => {
    const years = selectedProduct()?.years ?? [];
    const chosen = [].concat(read() ?? example[id] ?? years.slice(-1));
    if (!years.length) {
      const control = several ? listControl(id, spec) : scalarControl(id, spec.schema, chosen[0]);
      wrapper.replaceChildren(control.element);
      read = control.value;
      input = control.input;
      return;
    }
    if (several) {
      const boxes = years.map((y) => h('input', { type: 'checkbox', id: `input-${id}-${y}`, value: y,
        checked: chosen.includes(y) }));
      wrapper.replaceChildren(h('div', { class: 'choices' },
        boxes.map((b) => h('label', { for: b.id }, b, ` ${b.value}`))));
      read = () => {
        const picked = boxes.filter((b) => b.checked).map((b) => Number(b.value));
        return picked.length ? picked : undefined;
      };
      input = boxes[0];
    } else {
      const select = h('select', { id: `input-${id}`, name: id },
        years.map((y) => h('option', { value: y, selected: y === chosen[0] }, String(y))));
      wrapper.replaceChildren(select);
      read = () => Number(select.value);
      input = select;
    }
  };
  return {
    element: wrapper,
    group: several,
    value: () => read(),
    productChanged: fill,
    get input() {
      return input;
    },
    init: fill,
  };
}

function parseJson(id, input) {
  const text = input.value.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw Object.assign(new Error(`input '${id}': not valid JSON (${error.message})`), { id });
  }
}

// ---- the form -------------------------------------------------------------------------

function render() {
  const alert = h('div', { class: 'notice error', role: 'alert', id: 'form-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const reset = h('button', { type: 'button', onclick: () => location.reload() }, 'Reset to the example');
  const asyncOk = (process.jobControlOptions ?? []).includes('async-execute');
  form.replaceChildren(
    alert,
    ...fields.map((f) => f.element),
    h('p', { class: 'row' }, submit, reset,
      h('span', { class: 'muted small' }, asyncOk ? 'Runs as a job: its page shows progress and results.' : '')),
  );
  productField = fields.find((f) => f.id === 'product');
  for (const f of fields) f.init?.();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of fields) f.input?.removeAttribute('aria-invalid');
    say(alert, '');
    submit.disabled = true;
    try {
      await run(asyncOk);
    } catch (error) {
      show(alert, error);
      submit.disabled = false;
    }
  });
}

async function run(asyncOk) {
  const inputs = {};
  for (const f of fields) {
    const value = f.value();
    if (value !== undefined) inputs[f.id] = value;
  }
  const response = await request(`${base()}/processes/${encodeURIComponent(process.id)}/execution`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(asyncOk ? { Prefer: 'respond-async' } : {}) },
    body: JSON.stringify({ inputs, response: 'document' }),
  });
  const location = response.headers.get('Location');
  if (location) {
    window.location.assign(`${location}?f=html`);
    return;
  }
  // a synchronous answer: the results themselves
  const text = await response.text();
  form.append(h('h3', {}, 'Results'), h('pre', {}, text));
}

/** The server's (or the form's) message, on the input it names. */
function show(alert, error) {
  const message = error instanceof ApiError || error.id ? error.message : `The request failed: ${error.message}`;
  say(alert, message);
  const named = error.id ?? /input '([^']+)'/.exec(message)?.[1];
  const target = fields.find((f) => f.id === named);
  if (target?.input) {
    target.input.setAttribute('aria-invalid', 'true');
    target.input.setAttribute('aria-errormessage', 'form-error');
  }
  alert.scrollIntoView({ block: 'center' });
  alert.tabIndex = -1;
  alert.focus({ preventScroll: true });
}
