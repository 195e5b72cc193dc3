// What every page script needs: the server's base URL, requests that carry the session's
// CSRF token, the server's own error message, and a small DOM builder.

/** The server's base URL (``<meta name="landgrid-base">``), without a trailing slash. */
export function base() {
  return document.querySelector('meta[name="landgrid-base"]')?.content ?? '';
}

/** Headers for a request that changes state: the session's CSRF token when logged in. */
export function csrfHeaders() {
  const token = document.querySelector('meta[name="csrf-token"]')?.content;
  return token ? { 'X-CSRF-Token': token } : {};
}

/** An answer that is not 2xx, with the server's message (OGC exception ``detail``). */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * fetch() that sends cookies of this origin only, adds the CSRF header to unsafe methods
 * and turns an error answer into an ApiError with the server's own message.
 * @return {Promise<Response>}
 */
export async function request(url, options = {}) {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers = { Accept: 'application/json', ...(options.headers ?? {}) };
  if (!['GET', 'HEAD'].includes(method)) Object.assign(headers, csrfHeaders());
  const response = await fetch(url, { credentials: 'same-origin', ...options, method, headers });
  if (!response.ok) throw await apiError(response);
  return response;
}

export async function getJson(url, options = {}) {
  return (await request(url, options)).json();
}

async function apiError(response) {
  let body = null;
  let message = `${response.status} ${response.statusText}`;
  try {
    body = await response.json();
    message = body.detail ?? body.description ?? message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message, body);
}

/** The JSON in ``<script type="application/json" id="...">``, or ``fallback``. */
export function readJson(id, fallback = null) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : fallback;
}

/**
 * ``h('td', {class: 'num'}, '12')``: an element with attributes (``on*`` as listeners,
 * ``false``/``null`` left out) and children (strings become text, never HTML).
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Show ``message`` in a ``role=alert`` box (empty: hide it). */
export function say(box, message) {
  if (box) box.textContent = message ?? '';
}

/** The year of an ISO 8601 instant. */
export function yearOf(instant) {
  return Number(String(instant).slice(0, 4));
}

/** A property value for people: numbers rounded, objects as JSON. */
export function shown(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && !Number.isInteger(value)) {
    return value.toLocaleString('en', { maximumFractionDigits: 3 });
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
