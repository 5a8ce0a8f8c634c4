// Clusterwright portal: a small single-page app over the REST API (/api/v1, see API.md).
//
// Rules this file keeps:
//   * Data reaches the DOM only as text (el() and textContent), never through innerHTML.
//   * No inline handlers or scripts: the page's Content-Security-Policy forbids them, so
//     every listener is attached here with addEventListener.
//   * The API token lives in sessionStorage (gone when the tab closes) and is sent as
//     "Authorization: Bearer <token>" on every call, including the operation event stream,
//     which is read with fetch() because EventSource cannot send that header.
'use strict';

const API_BASE = '/api/v1';
const TOKEN_KEY = 'clusterwright.token';
const OPERATION_STATES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Canceled'];
const OPERATION_KINDS = ['vcenter.sync', 'cluster.provision', 'cluster.delete'];
const CLUSTER_PHASES = ['Pending', 'Provisioning', 'Ready', 'Updating', 'Deleting', 'Failed', 'Deleted'];
const PAGE_SIZE = 50;
const MIN_HARDWARE_VERSION = 15; // vSphere CSI needs VM hardware version 15 or later

// ---------------------------------------------------------------------------------------
// Pure helpers (no DOM; exported to the Go test through node at the end of the file)

/** sseParser turns chunks of a text/event-stream into onEvent(event, data) calls. It keeps a
 *  partial line (even a CR whose LF has not arrived yet) until the next chunk. */
function sseParser(onEvent) {
  let buffer = '';
  let event = '';
  let data = [];
  function line(text) {
    if (text === '') { // a blank line ends the event
      if (data.length) onEvent(event || 'message', data.join('\n'));
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return; // comment
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
  }
  return {
    push(chunk) {
      buffer += chunk;
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop();
      lines.forEach(line);
    },
  };
}

/** fieldCandidates lists the form fields an API field error may belong to, most precise
 *  first: each shorter prefix of the path follows, so "worker_pools[0].cpus" ->
 *  ["worker_pools[0].cpus", "worker_pools[0]", "worker_pools"]. */
function fieldCandidates(name) {
  const out = [];
  for (let rest = name; rest;) {
    out.push(rest);
    const cut = rest.search(/(\.[^.[]*|\[\d+\])$/);
    rest = cut > 0 ? rest.slice(0, cut) : '';
  }
  return out;
}

/** setPath sets the member of obj at an API field path ("worker_pools[0].cpus"), making
 *  the objects and arrays on the way. */
function setPath(obj, path, value) {
  const keys = [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]));
  let node = obj;
  keys.slice(0, -1).forEach((key, i) => {
    if (node[key] === undefined) node[key] = typeof keys[i + 1] === 'number' ? [] : {};
    node = node[key];
  });
  node[keys[keys.length - 1]] = value;
  return obj;
}

/** placementChoices lists the inventory objects of datacenter dc (only those below the
 *  path within, when given) as [value, label] pairs. The value is the object's name when
 *  no other object of that kind in the datacenter has it, otherwise its full inventory
 *  path, so that it names exactly one object as the API requires. */
function placementChoices(objects, dc, within, label) {
  const inDC = (objects || []).filter((o) => o.datacenter === dc);
  return inDC.filter((o) => !within || o.path.startsWith(within + '/')).map((o) => {
    const value = inDC.filter((x) => x.name === o.name).length === 1 ? o.name : o.path;
    return [value, label ? label(o, value) : value];
  });
}

/** fmtBytes shows a byte count in binary units: 1536 -> "1.5 KiB". */
function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(v) : v.toFixed(1)) + ' ' + units[i];
}

/** fmtDuration shows the time between two RFC 3339 times ("" when start is unknown); an
 *  unfinished span runs until now. */
function fmtDuration(startISO, endISO, now) {
  if (!startISO) return '';
  const start = Date.parse(startISO);
  const end = endISO ? Date.parse(endISO) : (now === undefined ? Date.now() : now);
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  let s = Math.max(0, Math.round((end - start) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  s %= 60;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** parseHash splits "#/operations?state=Running" into its path and query parameters. */
function parseHash(hash) {
  const raw = String(hash || '').replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)) || '/vcenters';
  return { path, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** withQuery appends the non-empty parameters to a path. */
function withQuery(path, params) {
  const clean = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(params)) if (v !== '') clean.set(k, v);
  const s = clean.toString();
  return s ? `${path}?${s}` : path;
}

/** stateClass is the CSS class of a state or phase name ("Running" -> "state-running"). */
function stateClass(state) {
  return 'state-' + String(state || 'unknown').toLowerCase().replace(/[^a-z]/g, '');
}

const isActive = (state) => state === 'Pending' || state === 'Running';
const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------
// DOM helpers

/** el builds an element. attrs are attributes (null, undefined and false are left out, true
 *  is an empty attribute); a function under "on<event>" becomes an event listener. Children
 *  are nodes or values, the latter inserted as text. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function' && key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  return append(node, children);
}

/** append adds children (nested arrays too) to node: nodes as they are, anything else as
 *  a text node. */
function append(node, ...children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** replace swaps node's children for the given ones. */
function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

function link(path, text) {
  return el('a', { href: '#' + path }, text);
}

function timeEl(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return el('time', { datetime: iso, title: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

function badge(state) {
  return el('span', { class: 'badge ' + stateClass(state) }, state || 'unknown');
}

function orDash(v) {
  return v === null || v === undefined || v === '' ? '—' : v;
}

/** page lays out a view: a title, buttons beside it, then the content. */
function page(title, actions, ...content) {
  return el('section', { class: 'page' },
    el('div', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'page-actions' }, actions)),
    content);
}

/** table renders rows under columns [{title, cell(row), class}], or a note when empty. */
function table(columns, rows, emptyText) {
  if (!rows || !rows.length) return el('p', { class: 'empty' }, emptyText || 'Nothing here yet.');
  return el('div', { class: 'table-wrap' },
    el('table', {},
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.class }, c.title)))),
      el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', { class: c.class }, c.cell(row))))))));
}

/** facts renders [term, value] pairs as a description list. */
function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.map(([term, value]) => [el('dt', {}, term), el('dd', {}, orDash(value))]));
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

// ---------------------------------------------------------------------------------------
// API client

/** ApiError is a failed call: status 0 for a network failure, and the problem+json body. */
class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || {};
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

function authHeaders(accept) {
  return { Accept: accept, Authorization: 'Bearer ' + token() };
}

/** request calls the API and returns the JSON reply, or throws an ApiError. */
async function request(method, path, body, signal) {
  const init = { method, headers: authHeaders('application/json'), signal, cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API_BASE + path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { title: 'Network error', detail: 'the server could not be reached (' + err.message + ')' });
  }
  if (!res.ok) throw await errorFrom(res);
  return res.status === 204 ? null : res.json();
}

/** errorFrom reads the problem+json body of a failed reply. */
async function errorFrom(res) {
  let problem = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try {
      problem = await res.json();
    } catch (_) {
      problem = null; // not JSON after all
    }
  }
  return new ApiError(res.status, problem || { title: res.statusText || `HTTP ${res.status}` });
}

const get = (path, signal) => request('GET', path, undefined, signal);
const post = (path, body, signal) => request('POST', path, body, signal);
const del = (path, signal) => request('DELETE', path, undefined, signal);

/** readEvents reads a Server-Sent Events stream with fetch(), calling onEvent(event, data)
 *  for each event. It returns true when the server sent "end", false when the stream
 *  closed without it. */
async function readEvents(path, signal, onEvent) {
  const res = await fetch(API_BASE + path, { headers: authHeaders('text/event-stream'), signal, cache: 'no-store' });
  if (!res.ok) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let ended = false;
  const parser = sseParser((event, data) => {
    if (event === 'end') ended = true;
    else onEvent(event, data);
  });
  try {
    while (!ended) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return ended;
}

// ---------------------------------------------------------------------------------------
// Errors and forms

/** problemBox explains a failed call. 401 and 403 get words of their own, since they mean
 *  the token is bad or its role is too weak, not that the request was wrong. */
function problemBox(err) {
  if (!(err instanceof ApiError)) {
    return el('div', { class: 'alert error', role: 'alert' }, 'Unexpected error: ', String((err && err.message) || err));
  }
  const p = err.problem;
  const box = el('div', { class: 'alert error', role: 'alert' });
  if (err.status === 401) {
    append(box, el('strong', {}, 'Not signed in. '),
      'The server did not accept your token: it is missing, mistyped or revoked. ',
      el('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign in again'));
  } else if (err.status === 403) {
    append(box, el('strong', {}, 'Not allowed. '),
      "Your token's role may not do this (roles: viewer reads, operator runs operations, admin does everything). ",
      p.detail ? `The server said: ${p.detail.replace(/\.$/, '')}.` : '');
  } else {
    append(box, el('strong', {}, `${p.title || 'Error'}${err.status ? ` (${err.status})` : ''}. `), p.detail || '');
  }
  if (p.errors && p.errors.length) {
    append(box, el('ul', {}, p.errors.map((fe) => el('li', {}, el('code', {}, fe.field), ' ', fe.message))));
  }
  if (p.operation) append(box, el('p', {}, 'Running operation: ', link('/operations/' + enc(p.operation), p.operation)));
  if (p.request_id) append(box, el('p', { class: 'muted' }, 'Request id: ', el('code', {}, p.request_id)));
  return box;
}

/** field renders a labelled input with a place for its error message. */
function field(label, name, attrs, hint) {
  const id = 'f-' + name;
  return el('div', { class: 'field', 'data-field': name },
    el('label', { for: id }, label),
    el('input', Object.assign({ id, name, type: 'text' }, attrs)),
    hint && el('small', { class: 'hint' }, hint),
    el('div', { class: 'field-error' }));
}

/** checkbox renders a labelled checkbox with a place for its error message. */
function checkbox(label, name) {
  const id = 'f-' + name;
  return el('div', { class: 'field check', 'data-field': name },
    el('input', { id, name, type: 'checkbox' }),
    el('label', { for: id }, label),
    el('div', { class: 'field-error' }));
}

/** formValues reads a form: checkboxes as booleans, passwords as typed, the rest trimmed. */
function formValues(form) {
  const out = {};
  for (const input of form.querySelectorAll('input[name], select[name]')) {
    if (input.type === 'checkbox') out[input.name] = input.checked;
    else if (input.type === 'password') out[input.name] = input.value;
    else out[input.name] = input.value.trim();
  }
  return out;
}

/** showFieldErrors puts each field error of err next to its field, and everything that
 *  belongs to no field (or a non-validation error) at the top of the form. */
function showFieldErrors(form, err) {
  const summary = form.querySelector('.form-error');
  const slots = [...form.querySelectorAll('.field')];
  for (const slot of slots) {
    slot.classList.remove('invalid');
    slot.querySelector('.field-error').textContent = '';
  }
  replace(summary);
  if (!err) return;
  const errors = (err instanceof ApiError && err.problem.errors) || [];
  let placed = 0;
  for (const fe of errors) {
    const slot = fieldCandidates(fe.field).map((n) => slots.find((s) => s.dataset.field === n)).find(Boolean);
    if (!slot) continue;
    const msg = slot.querySelector('.field-error');
    msg.textContent = (msg.textContent ? msg.textContent + '; ' : '') + fe.message;
    slot.classList.add('invalid');
    placed++;
  }
  if (errors.length && placed === errors.length) {
    append(summary, el('p', { class: 'alert error' }, 'Please correct the marked fields.'));
  } else {
    append(summary, problemBox(err));
  }
}

/** submitForm sends a form with send() and hands the reply to done(); failures are shown
 *  next to the fields. The submit button is disabled meanwhile. */
function submitForm(form, send, done) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    showFieldErrors(form, null);
    try {
      done(await send(formValues(form)));
    } catch (err) {
      showFieldErrors(form, err);
      const bad = form.querySelector('.field.invalid input');
      if (bad) bad.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** actionButton runs action() on click and shows a failure in notices. */
function actionButton(label, cls, notices, action) {
  const button = el('button', { type: 'button', class: cls }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(notices);
    try {
      await action();
    } catch (err) {
      replace(notices, problemBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** toggleForm returns a button that shows and hides form. */
function toggleForm(label, form) {
  return el('button', {
    type: 'button',
    class: 'primary',
    onclick: () => {
      form.hidden = !form.hidden;
      if (!form.hidden) form.querySelector('input').focus();
    },
  }, label);
}

/** pager links to the first page and, when there is one, the next page of a list. */
function pager(path, params, nextCursor) {
  const nav = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  if (params.get('cursor')) {
    const first = new URLSearchParams(params);
    first.delete('cursor');
    append(nav, link(withQuery(path, first), '« First page'));
  }
  if (nextCursor) {
    const next = new URLSearchParams(params);
    next.set('cursor', nextCursor);
    append(nav, link(withQuery(path, next), 'Next page »'));
  }
  return nav;
}

/** listQuery is the API query of a paginated list: the page's filters, cursor and limit. */
function listQuery(params, names) {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const name of names.concat('cursor')) if (params.get(name)) q.set(name, params.get(name));
  return '?' + q.toString();
}

/** filterForm renders filter inputs that, when applied, navigate to path with them. */
function filterForm(path, params, inputs) {
  const form = el('form', { class: 'filters' }, inputs,
    el('button', { type: 'submit' }, 'Filter'),
    link(path, 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    go(withQuery(path, formValues(form)));
  });
  return form;
}

function selectFilter(label, name, options, value) {
  return el('label', {}, label, ' ',
    el('select', { name }, el('option', { value: '' }, 'any'),
      options.map((o) => el('option', { value: o, selected: o === value }, o))));
}

function textFilter(label, name, value, attrs) {
  return el('label', {}, label, ' ', el('input', Object.assign({ name, type: 'text', value: value || '' }, attrs)));
}

// ---------------------------------------------------------------------------------------
// Views. Each one takes ctx ({signal, params}) and the route's captures, and returns the
// node to show; it may keep updating that node until ctx.signal is aborted.

// Sign in: paste an API token; it is checked with one read before it is kept.
function signInView() {
  const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = el('div', { class: 'form-error' });
  const form = el('form', { class: 'card signin' },
    el('h1', {}, 'Sign in'),
    el('p', {}, 'Paste an API token. An administrator creates one with ',
      el('code', {}, 'clusterwright token create --name NAME --role viewer|operator|admin'), '.'),
    el('p', { class: 'muted' }, 'The token stays in this browser tab only (session storage).'),
    el('div', { class: 'field' }, el('label', { for: 'token' }, 'API token'), input),
    status,
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    replace(status);
    try {
      await get('/operations?limit=1');
      render();
    } catch (err) {
      sessionStorage.removeItem(TOKEN_KEY);
      replace(status, err instanceof ApiError && err.status === 401
        ? el('p', { class: 'alert error' }, 'This token was not accepted: it is mistyped, revoked or unknown to this server.')
        : problemBox(err));
    }
  });
  setTimeout(() => input.focus(), 0);
  return form;
}

// vCenters: the registered vCenters with a Sync button each, and the registration form.
async function vcentersView(ctx) {
  const { items } = await get('/vcenters', ctx.signal);
  const notices = el('div', { class: 'notices' });
  const form = registerVCenterForm();
  form.hidden = items.length > 0;
  return page('vCenters', [toggleForm('Register vCenter', form)], notices, form,
    table([
      { title: 'Name', cell: (v) => link('/vcenters/' + enc(v.name), v.name) },
      { title: 'Server', cell: (v) => el('code', {}, v.server) },
      { title: 'User', cell: (v) => v.username },
      { title: 'TLS', cell: (v) => (v.insecure ? 'insecure' : v.thumbprint ? 'pinned thumbprint' : 'verified') },
      { title: 'Last sync', cell: (v) => [timeEl(v.synced_at), v.sync_error && el('div', { class: 'error-text' }, v.sync_error)] },
      { title: '', class: 'right', cell: (v) => syncButton(v.name, notices) },
    ], items, 'No vCenter is registered yet. Register one to get started.'));
}

/** syncButton starts an inventory sync and opens its operation. */
function syncButton(name, notices) {
  return actionButton('Sync', 'small', notices, async () => {
    const reply = await post(`/vcenters/${enc(name)}/sync`);
    go('/operations/' + enc(reply.operation.id));
  });
}

/** registerVCenterForm posts to /vcenters; the server checks the credentials first. */
function registerVCenterForm() {
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', {}, 'Register a vCenter'),
    el('div', { class: 'grid' },
      field('Name', 'name', { placeholder: 'vc1', required: true }),
      field('Server', 'server', { placeholder: 'vcenter.example.com', required: true }, 'host, host:port or https://host/sdk'),
      field('User name', 'username', { autocomplete: 'off', required: true }),
      field('Password', 'password', { type: 'password', autocomplete: 'new-password', required: true }),
      field('Certificate thumbprint', 'thumbprint', { placeholder: 'AB:CD:…' }, 'SHA-1 or SHA-256, colon-separated hex'),
      checkbox('Skip certificate verification (insecure)', 'insecure')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Register')));
  return submitForm(form, (v) => post('/vcenters', v), (reply) => go('/operations/' + enc(reply.operation.id)));
}

// One vCenter: its details, a Sync button, and its inventory grouped by kind.
async function vcenterView(ctx, name) {
  const [vc, inventory] = await Promise.all([
    get('/vcenters/' + enc(name), ctx.signal),
    get(`/vcenters/${enc(name)}/inventory`, ctx.signal).catch((err) => err),
  ]);
  const notices = el('div', { class: 'notices' });
  return page(`vCenter ${vc.name}`, [syncButton(vc.name, notices)], notices,
    facts([
      ['Server', el('code', {}, vc.server)],
      ['User', vc.username],
      ['Insecure', vc.insecure ? 'yes' : 'no'],
      ['Thumbprint', vc.thumbprint && el('code', {}, vc.thumbprint)],
      ['Registered', timeEl(vc.created_at)],
      ['Last sync', timeEl(vc.synced_at)],
      ['Sync error', vc.sync_error && el('span', { class: 'error-text' }, vc.sync_error)],
      ['Operations', link(withQuery('/operations', { kind: 'vcenter.sync' }), 'inventory syncs')],
    ]),
    el('h2', {}, 'Inventory'),
    inventory instanceof Error ? problemBox(inventory) : inventorySections(inventory));
}

const nameCol = { title: 'Name', cell: (o) => o.name };
const dcCol = { title: 'Datacenter', cell: (o) => orDash(o.datacenter) };
const pathCol = { title: 'Path', cell: (o) => el('code', {}, o.path) };

/** The inventory reply's groups, in its order, with the columns each kind has. */
const INVENTORY_GROUPS = [
  ['datacenters', 'Datacenters', [nameCol, pathCol]],
  ['compute_clusters', 'Compute clusters', [nameCol, dcCol,
    { title: 'Hosts', class: 'num', cell: (o) => o.compute && o.compute.hosts },
    { title: 'CPU', class: 'num', cell: (o) => o.compute && `${(o.compute.cpu_mhz / 1000).toFixed(1)} GHz` },
    { title: 'Memory', class: 'num', cell: (o) => o.compute && fmtBytes(o.compute.memory_bytes) }]],
  ['hosts', 'Hosts', [nameCol, dcCol,
    { title: 'CPU', class: 'num', cell: (o) => o.compute && `${(o.compute.cpu_mhz / 1000).toFixed(1)} GHz` },
    { title: 'Memory', class: 'num', cell: (o) => o.compute && fmtBytes(o.compute.memory_bytes) }]],
  ['resource_pools', 'Resource pools', [nameCol, dcCol, pathCol]],
  ['folders', 'Folders', [nameCol, dcCol, pathCol]],
  ['datastores', 'Datastores', [nameCol, dcCol,
    { title: 'Type', cell: (o) => o.datastore && o.datastore.type },
    { title: 'Capacity', class: 'num', cell: (o) => o.datastore && fmtBytes(o.datastore.capacity_bytes) },
    { title: 'Free', class: 'num', cell: (o) => o.datastore && fmtBytes(o.datastore.free_bytes) },
    { title: 'Used', cell: (o) => o.datastore && usageMeter(o.datastore) },
    { title: 'Accessible', cell: (o) => o.datastore && (o.datastore.accessible ? 'yes' : el('span', { class: 'error-text' }, 'no')) }]],
  ['networks', 'Networks', [nameCol, dcCol, { title: 'Type', cell: (o) => o.network && o.network.type }]],
  ['templates', 'Templates', [nameCol, dcCol,
    { title: 'Guest OS', cell: (o) => o.template && (o.template.guest_full_name || o.template.guest_id) },
    { title: 'Hardware', cell: (o) => o.template && hardwareVersion(o.template.hardware_version) },
    { title: 'CPUs', class: 'num', cell: (o) => o.template && o.template.cpus },
    { title: 'Memory', class: 'num', cell: (o) => o.template && fmtBytes(o.template.memory_mib * 1024 * 1024) },
    { title: 'Disk', class: 'num', cell: (o) => o.template && fmtBytes(o.template.disk_gib * 1024 ** 3) }]],
];

/** inventorySections shows each kind of inventory object as a collapsible table. */
function inventorySections(inventory) {
  return [
    el('p', { class: 'muted' }, 'Synced ', timeEl(inventory.synced_at), '.'),
    INVENTORY_GROUPS.map(([key, title, columns]) => {
      const objects = inventory[key] || [];
      return el('details', { class: 'inventory', open: objects.length > 0 },
        el('summary', {}, `${title} (${objects.length})`),
        table(columns, objects, `No ${title.toLowerCase()}.`));
    }),
  ];
}

function usageMeter(ds) {
  const cap = ds.capacity_bytes || 0;
  const used = Math.max(0, cap - (ds.free_bytes || 0));
  const pct = cap ? Math.round((used / cap) * 100) : 0;
  return el('span', { class: 'usage' },
    el('meter', { min: 0, max: cap || 1, value: used, low: cap * 0.7, high: cap * 0.9, optimum: 0 }), ` ${pct}%`);
}

function hardwareVersion(v) {
  if (!v) return '—';
  return [`vmx-${v}`, v < MIN_HARDWARE_VERSION && el('span', { class: 'badge state-failed', title: 'vSphere CSI needs hardware version 15 or later' }, 'too old')];
}

// IP pools: the pools with their free addresses, and the form that creates one.
async function ippoolsView(ctx) {
  const { items } = await get('/ippools', ctx.signal);
  const form = createIPPoolForm();
  form.hidden = items.length > 0;
  return page('IP pools', [toggleForm('Create IP pool', form)], form,
    table([
      { title: 'Name', cell: (p) => link('/ippools/' + enc(p.name), p.name) },
      { title: 'CIDR', cell: (p) => el('code', {}, p.cidr) },
      { title: 'Range', cell: (p) => el('code', {}, `${p.range_start} – ${p.range_end}`) },
      { title: 'Gateway', cell: (p) => orDash(p.gateway) },
      { title: 'DNS', cell: (p) => orDash((p.dns || []).join(', ')) },
      { title: 'Free / size', class: 'num', cell: (p) => `${p.free} / ${p.size}` },
    ], items, 'No IP pool yet. Clusters take their node addresses from one.'));
}

/** createIPPoolForm posts to /ippools; DNS servers are typed comma-separated. */
function createIPPoolForm() {
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', {}, 'Create an IP pool'),
    el('div', { class: 'grid' },
      field('Name', 'name', { placeholder: 'lab', required: true }),
      field('CIDR', 'cidr', { placeholder: '10.0.0.0/24', required: true }),
      field('Range start', 'range_start', { placeholder: '10.0.0.10', required: true }),
      field('Range end', 'range_end', { placeholder: '10.0.0.99', required: true }),
      field('Gateway', 'gateway', { placeholder: '10.0.0.1' }, 'inside the CIDR, outside the range'),
      field('DNS servers', 'dns', { placeholder: '10.0.0.2, 10.0.0.3' }, 'comma-separated')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Create')));
  const send = (v) => post('/ippools', Object.assign({}, v, { dns: v.dns.split(',').map((s) => s.trim()).filter(Boolean) }));
  return submitForm(form, send, (pool) => go('/ippools/' + enc(pool.name)));
}

// One IP pool: its range and every lease taken from it.
async function ippoolView(ctx, name) {
  const p = await get('/ippools/' + enc(name), ctx.signal);
  return page(`IP pool ${p.name}`, [],
    facts([
      ['CIDR', el('code', {}, p.cidr)],
      ['Range', el('code', {}, `${p.range_start} – ${p.range_end}`)],
      ['Gateway', p.gateway],
      ['DNS', (p.dns || []).join(', ')],
      ['Addresses', `${p.free} free of ${p.size}`],
      ['Created', timeEl(p.created_at)],
    ]),
    el('h2', {}, `Leases (${(p.leases || []).length})`),
    table([
      { title: 'Address', cell: (l) => el('code', {}, l.address) },
      { title: 'Owner', cell: (l) => l.owner },
      { title: 'Cluster id', cell: (l) => orDash(l.cluster_id) },
      { title: 'Leased', cell: (l) => timeEl(l.leased_at) },
    ], p.leases, 'No address is leased.'));
}

// Clusters: every cluster with its phase and nodes, filterable by phase, paginated.
async function clustersView(ctx) {
  const params = ctx.params;
  const [reply, vcenters, versions, pools] = await Promise.all([
    get('/clusters' + listQuery(params, ['phase', 'vcenter']), ctx.signal),
    get('/vcenters', ctx.signal),
    get('/kubernetes-versions', ctx.signal),
    get('/ippools', ctx.signal),
  ]);
  const form = newClusterForm(vcenters.items, versions, pools.items);
  form.hidden = reply.items.length > 0 || Boolean(params.get('cursor')) || Boolean(params.get('phase'));
  return page('Clusters', [toggleForm('New cluster', form)], form,
    filterForm('/clusters', params, [
      selectFilter('Phase', 'phase', CLUSTER_PHASES, params.get('phase')),
      textFilter('vCenter', 'vcenter', params.get('vcenter'), { size: 10 }),
    ]),
    table([
      { title: 'Name', cell: (c) => link('/clusters/' + enc(c.name), c.name) },
      { title: 'vCenter', cell: (c) => c.vcenter },
      { title: 'Phase', cell: (c) => [badge(c.phase), c.phase_reason && el('div', { class: 'muted' }, c.phase_reason)] },
      { title: 'Kubernetes', cell: (c) => orDash(c.spec && c.spec.kubernetes_version) },
      { title: 'Nodes ready', class: 'num', cell: (c) => nodeCount(c.nodes) },
      { title: 'Created', cell: (c) => timeEl(c.created_at) },
    ], reply.items, 'No cluster matches.'),
    pager('/clusters', params, reply.next_cursor));
}

function nodeCount(nodes) {
  const list = nodes || [];
  return `${list.filter((n) => n.ready).length} / ${list.length}`;
}

// One cluster: phase, placement, nodes, add-ons and a link to its operations.
async function clusterView(ctx, name) {
  const c = await get('/clusters/' + enc(name), ctx.signal);
  const spec = c.spec || {};
  const placement = spec.placement || {};
  const cp = spec.control_plane || {};
  const notices = el('div', { class: 'notices' });
  const deletable = c.phase !== 'Deleted' && c.phase !== 'Deleting';
  return page(`Cluster ${c.name}`, [link(withQuery('/operations', { cluster: c.name }), 'Operations →'),
    kubeconfigButton(c.name, notices), deletable && deleteButton(c.name, notices)],
    notices,
    facts([
      ['Phase', [badge(c.phase), c.phase_reason && ` ${c.phase_reason}`]],
      ['vCenter', link('/vcenters/' + enc(c.vcenter), c.vcenter)],
      ['Kubernetes', spec.kubernetes_version],
      ['API endpoint', c.control_plane_endpoint && el('code', {}, c.control_plane_endpoint)],
      ['Certificates expire', timeEl(c.certificate_expiry)],
      ['Created', [timeEl(c.created_at), c.created_by && ` by ${c.created_by}`]],
      ['Updated', timeEl(c.updated_at)],
    ]),
    el('h2', {}, 'Placement'),
    facts([
      ['Datacenter', placement.datacenter], ['Compute cluster', placement.compute_cluster],
      ['Resource pool', placement.resource_pool], ['Folder', placement.folder],
      ['Datastore', placement.datastore], ['Network', placement.network], ['Template', placement.template],
      ['IP pool', spec.network && spec.network.ip_pool && link('/ippools/' + enc(spec.network.ip_pool), spec.network.ip_pool)],
    ]),
    el('h2', {}, 'Node pools'),
    table([
      { title: 'Pool', cell: (p) => p.name },
      { title: 'Replicas', class: 'num', cell: (p) => p.replicas },
      { title: 'CPUs', class: 'num', cell: (p) => p.cpus },
      { title: 'Memory', class: 'num', cell: (p) => fmtBytes(p.memory_mib * 1024 * 1024) },
      { title: 'Disk', class: 'num', cell: (p) => fmtBytes(p.disk_gib * 1024 ** 3) },
    ], [Object.assign({ name: 'control plane' }, cp)].concat(spec.worker_pools || [])),
    el('h2', {}, `Nodes (${nodeCount(c.nodes)} ready)`),
    table([
      { title: 'Name', cell: (n) => n.name },
      { title: 'Role', cell: (n) => n.role },
      { title: 'Pool', cell: (n) => orDash(n.pool) },
      { title: 'IP', cell: (n) => orDash(n.ip) },
      { title: 'VM', cell: (n) => (n.vm ? el('code', {}, n.vm) : '—') },
      { title: 'Kubelet', cell: (n) => orDash(n.kubelet_version) },
      { title: 'Ready', cell: (n) => badge(n.ready ? 'Ready' : 'NotReady') },
    ], c.nodes, 'No node yet.'),
    el('h2', {}, 'Add-ons'),
    table([
      { title: 'Name', cell: (a) => a.name },
      { title: 'Chart version', cell: (a) => orDash(a.chart_version) },
      { title: 'Status', cell: (a) => badge(a.status) },
    ], c.addons, 'No add-on installed yet.'));
}

// ---------------------------------------------------------------------------------------
// New cluster: a form whose inputs are named by the API's field paths ("control_plane.cpus",
// "worker_pools[0].replicas"), so that the body is built from the names and each field
// error of a 400/422 lands next to the input it names.

const NODE_DEFAULTS = { cpus: 4, memory_mib: 8192, disk_gib: 60 };
const NODE_MINIMUMS = { cpus: 2, memory_mib: 4096, disk_gib: 40 };

/** numberField is a whole-number input with the API's minimum. */
function numberField(label, name, value, min, hint) {
  return field(label, name, { type: 'number', step: 1, min, value, required: true }, hint);
}

/** selectField renders a labelled select of [value, label] pairs with a place for its error. */
function selectField(label, name, options, selected, hint) {
  const id = 'f-' + name;
  const select = el('select', { id, name });
  setChoices(select, options, selected);
  return el('div', { class: 'field', 'data-field': name },
    el('label', { for: id }, label), select,
    hint && el('small', { class: 'hint' }, hint),
    el('div', { class: 'field-error' }));
}

/** setChoices replaces a select's options, keeping its value when it is still offered. */
function setChoices(select, options, selected) {
  const keep = selected !== undefined ? selected : select.value;
  replace(select, options.map(([value, label]) => el('option', { value }, label)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

/** errorSlot is where field errors about a whole group (a pool, "placement") show. */
function errorSlot(name) {
  return el('div', { class: 'field slot', 'data-field': name }, el('div', { class: 'field-error' }));
}

/** specFromForm builds the request body from the form's named inputs: checkboxes as
 *  booleans, number inputs (and selects marked data-type=number) as numbers (left out
 *  when empty, so the API names them),
 *  everything else as trimmed text. */
function specFromForm(form) {
  const spec = {};
  for (const input of form.querySelectorAll('input[name], select[name]')) {
    if (input.type === 'checkbox') setPath(spec, input.name, input.checked);
    else if (input.type === 'number' || input.dataset.type === 'number') {
      if (input.value !== '') setPath(spec, input.name, Number(input.value));
    } else setPath(spec, input.name, input.value.trim());
  }
  return spec;
}

/** newClusterForm posts a cluster spec and opens the provisioning operation. */
function newClusterForm(vcenters, versions, pools) {
  const placement = placementFields();
  const workers = workerPools();
  const form = el('form', { class: 'card cluster-form', novalidate: true },
    el('h2', {}, 'New cluster'),
    el('fieldset', {}, el('legend', {}, 'Cluster'),
      el('div', { class: 'grid' },
        field('Name', 'name', { placeholder: 'dev-east', required: true, autocomplete: 'off' }, 'lower-case letters, digits and dashes'),
        selectField('vCenter', 'vcenter', [['', vcenters.length ? 'choose…' : 'no vCenter registered']].concat(vcenters.map((v) => [v.name, v.name]))),
        selectField('Kubernetes version', 'kubernetes_version',
          versions.versions.map((v) => [v, v === versions.default ? `${v} (default)` : v]), versions.default))),
    placement.node,
    el('fieldset', {}, el('legend', {}, 'Control plane'),
      el('div', { class: 'grid' },
        selectField('Replicas', 'control_plane.replicas', [1, 3, 5, 7].map((n) => [String(n), String(n)]), '1', 'odd, so that etcd keeps a majority'),
        numberField('vCPUs', 'control_plane.cpus', NODE_DEFAULTS.cpus, NODE_MINIMUMS.cpus, 'at least 2'),
        numberField('Memory (MiB)', 'control_plane.memory_mib', NODE_DEFAULTS.memory_mib, NODE_MINIMUMS.memory_mib, 'at least 4096'),
        numberField('Disk (GiB)', 'control_plane.disk_gib', NODE_DEFAULTS.disk_gib, NODE_MINIMUMS.disk_gib, 'at least 40'))),
    workers.node,
    el('fieldset', {}, el('legend', {}, 'Network'),
      el('div', { class: 'grid' },
        selectField('IP pool', 'network.ip_pool', [['', pools.length ? 'choose…' : 'no IP pool yet']].concat(
          pools.map((p) => [p.name, `${p.name} (${p.cidr}, ${p.free} free)`])), undefined, 'node addresses are leased from it'),
        field('Pod CIDR', 'network.pod_cidr', { value: '10.244.0.0/16' }),
        field('Service CIDR', 'network.service_cidr', { value: '10.96.0.0/12' })),
      errorSlot('network')),
    el('fieldset', {}, el('legend', {}, 'Add-ons'),
      el('div', { class: 'grid' },
        checkbox('Antrea Multi-cluster (for ClusterSets)', 'addons.antrea.multicluster'),
        selectField('Antrea traffic encryption', 'addons.antrea.traffic_encryption', ['none', 'ipsec', 'wireguard'].map((m) => [m, m]), 'none'),
        field('CSI storage policy', 'addons.vsphere_csi.storage_policy', { placeholder: 'vSAN Default Storage Policy' }, 'empty for none'),
        checkbox('CSI StorageClass is the default class', 'addons.vsphere_csi.default_class'),
        checkbox('Install KubeSphere', 'addons.kubesphere.enabled'),
        selectField('KubeSphere role', 'addons.kubesphere.role', [['host', 'host'], ['member', 'member']], 'host')),
      errorSlot('addons')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Create cluster')));
  form.querySelector('[name="addons.vsphere_csi.default_class"]').checked = true;
  form.querySelector('[name="control_plane.replicas"]').dataset.type = 'number';
  const vcenter = form.querySelector('[name=vcenter]');
  vcenter.addEventListener('change', () => placement.load(vcenter.value));
  if (vcenters.length === 1) {
    vcenter.value = vcenters[0].name;
    placement.load(vcenter.value);
  }
  workers.add('default');
  return submitForm(form, () => post('/clusters', specFromForm(form)), (reply) => go('/operations/' + enc(reply.operation.id)));
}

/** placementFields are the placement selects, filled from the chosen vCenter's recorded
 *  inventory: the datacenter narrows every other list, the compute cluster the resource pools. */
function placementFields() {
  const none = [['', '—']];
  const note = el('div', { class: 'muted' }, 'Choose a vCenter to see its inventory.');
  const fields = {
    datacenter: selectField('Datacenter', 'placement.datacenter', none),
    compute_cluster: selectField('Compute cluster', 'placement.compute_cluster', none),
    resource_pool: selectField('Resource pool', 'placement.resource_pool', none, undefined, 'optional'),
    folder: selectField('VM folder', 'placement.folder', none, undefined, 'optional'),
    datastore: selectField('Datastore', 'placement.datastore', none),
    network: selectField('Network', 'placement.network', none),
    template: selectField('Template', 'placement.template', none, undefined, 'Linux, hardware version 15 or later'),
  };
  const select = (key) => fields[key].querySelector('select');
  let inventory = null;
  const objectOf = (list, dc, name) => (inventory[list] || []).find((o) => o.datacenter === dc && (o.name === name || o.path === name));
  function fillPools() {
    const dc = select('datacenter').value;
    const cc = inventory && objectOf('compute_clusters', dc, select('compute_cluster').value);
    setChoices(select('resource_pool'), [['', "the compute cluster's root pool"]].concat(
      cc ? belowPath(inventory.resource_pools, dc, cc.path) : []));
  }
  function fillDatacenter() {
    const dc = select('datacenter').value;
    const dcObj = (inventory.datacenters || []).find((d) => d.name === dc);
    const choose = (list) => [['', 'choose…']].concat(list);
    setChoices(select('compute_cluster'), choose(placementChoices(inventory.compute_clusters, dc)));
    setChoices(select('folder'), [['', "the datacenter's VM folder"]].concat(
      dcObj ? belowPath(inventory.folders, dc, dcObj.path + '/vm') : []));
    setChoices(select('datastore'), choose(placementChoices(inventory.datastores, dc, '', (o, v) =>
      (o.datastore ? `${v} (${fmtBytes(o.datastore.free_bytes)} free)` : v))));
    setChoices(select('network'), choose(placementChoices(inventory.networks, dc)));
    setChoices(select('template'), choose(placementChoices(inventory.templates, dc, '', (o, v) =>
      (o.template && o.template.hardware_version ? `${v} (vmx-${o.template.hardware_version})` : v))));
    fillPools();
  }
  select('datacenter').addEventListener('change', fillDatacenter);
  select('compute_cluster').addEventListener('change', fillPools);
  async function load(name) {
    inventory = null;
    replace(note, name ? 'Loading the inventory…' : 'Choose a vCenter to see its inventory.');
    for (const key of Object.keys(fields)) setChoices(select(key), none);
    if (!name) return;
    try {
      const inv = await get(`/vcenters/${enc(name)}/inventory`);
      if (document.querySelector('[name=vcenter]') && document.querySelector('[name=vcenter]').value !== name) return;
      inventory = inv;
      const dcs = inv.datacenters || [];
      replace(note, dcs.length ? ['Inventory synced ', timeEl(inv.synced_at), '.'] : 'The inventory is empty: sync the vCenter first.');
      setChoices(select('datacenter'), dcs.map((d) => [d.name, d.name]), dcs.length ? dcs[0].name : '');
      fillDatacenter();
    } catch (err) {
      replace(note, problemBox(err));
    }
  }
  const node = el('fieldset', {}, el('legend', {}, 'Placement'), note,
    el('div', { class: 'grid' }, Object.values(fields)), errorSlot('placement'));
  return { node, load };
}

/** belowPath offers the objects below an inventory path by their full path (a relative
 *  one would be read below the root pool or VM folder), labelled relative to it. */
function belowPath(objects, dc, path) {
  return (objects || []).filter((o) => o.datacenter === dc && o.path.startsWith(path + '/'))
    .map((o) => [o.path, o.path.slice(path.length + 1)]);
}

/** workerPools is the list of worker pool inputs with Add and Remove buttons; the inputs
 *  are renumbered after a removal so their names match the array the API receives. */
function workerPools() {
  const list = el('div', { class: 'pools' });
  function renumber() {
    [...list.children].forEach((pool, i) => {
      pool.querySelector('legend').textContent = `Worker pool ${i + 1}`;
      pool.querySelector('.slot').dataset.field = `worker_pools[${i}]`;
      for (const slot of pool.querySelectorAll('.field[data-key]')) {
        const name = `worker_pools[${i}].${slot.dataset.key}`;
        slot.dataset.field = name;
        slot.querySelector('label').htmlFor = 'f-' + name;
        Object.assign(slot.querySelector('input'), { id: 'f-' + name, name });
      }
    });
  }
  function add(name) {
    const keyed = (key, node) => {
      node.dataset.key = key;
      return node;
    };
    const pool = el('fieldset', { class: 'pool' }, el('legend', {}),
      el('div', { class: 'grid' },
        keyed('name', field('Pool name', 'pool-name', { value: name || '', required: true })),
        keyed('replicas', numberField('Replicas', 'pool-replicas', 2, 0, '0 to 500')),
        keyed('cpus', numberField('vCPUs', 'pool-cpus', NODE_DEFAULTS.cpus, NODE_MINIMUMS.cpus, 'at least 2')),
        keyed('memory_mib', numberField('Memory (MiB)', 'pool-memory', NODE_DEFAULTS.memory_mib, NODE_MINIMUMS.memory_mib, 'at least 4096')),
        keyed('disk_gib', numberField('Disk (GiB)', 'pool-disk', NODE_DEFAULTS.disk_gib, NODE_MINIMUMS.disk_gib, 'at least 40'))),
      errorSlot(''),
      el('div', { class: 'actions' }, el('button', { type: 'button', class: 'small', onclick: () => { pool.remove(); renumber(); } }, 'Remove pool')));
    list.append(pool);
    renumber();
  }
  const node = el('fieldset', {}, el('legend', {}, 'Worker pools'),
    list, errorSlot('worker_pools'),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => add('') }, 'Add worker pool')),
    el('small', { class: 'hint' }, 'No pool makes a control-plane-only cluster.'));
  return { node, add };
}

// ---------------------------------------------------------------------------------------
// A cluster's lifecycle actions: delete (confirmed in a dialog) and the admin kubeconfig.

/** deleteButton opens a dialog that confirms the deletion and asks whether the vSphere
 *  volumes go too; a 409 names the operation that keeps the cluster busy. */
function deleteButton(name, notices) {
  const volumes = el('input', { id: 'delete-volumes', type: 'checkbox' });
  const confirm = el('button', { type: 'submit', class: 'danger' }, 'Delete cluster');
  const dialog = el('dialog', { class: 'confirm', 'aria-labelledby': 'delete-title' },
    el('form', { method: 'dialog' },
      el('h2', { id: 'delete-title' }, `Delete cluster ${name}?`),
      el('p', {}, 'Every VM, IP lease and record of the cluster is removed. This cannot be undone.'),
      el('div', { class: 'field check' }, volumes,
        el('label', { for: 'delete-volumes' }, 'Also delete its vSphere volumes (the persistent volumes its CSI driver made)')),
      el('div', { class: 'actions' },
        el('button', { type: 'button', onclick: () => dialog.close() }, 'Keep it'), confirm)));
  dialog.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    replace(notices);
    try {
      const reply = await del('/clusters/' + enc(name) + (volumes.checked ? '?delete_volumes=true' : ''));
      dialog.close();
      go('/operations/' + enc(reply.operation.id));
    } catch (err) {
      dialog.close();
      replace(notices, err instanceof ApiError && err.status === 409 && err.problem.operation
        ? el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, `Cluster ${name} is busy. `),
          'Another operation of it is running: ',
          link('/operations/' + enc(err.problem.operation), err.problem.operation),
          '. Wait for it to end or cancel it, then delete again.')
        : problemBox(err));
    } finally {
      confirm.disabled = false;
    }
  });
  const open = el('button', { type: 'button', class: 'danger', onclick: () => {
    volumes.checked = false;
    dialog.showModal();
  } }, 'Delete…');
  return [open, dialog];
}

/** kubeconfigButton downloads the admin kubeconfig as <name>.kubeconfig. The YAML goes
 *  from the reply into a Blob and out through a download link; it never enters the page.
 *  The portal does not know the token's role, so a 403 is explained when it comes. */
function kubeconfigButton(name, notices) {
  return actionButton('Download kubeconfig', '', notices, async () => {
    const res = await fetch(`${API_BASE}/clusters/${enc(name)}/kubeconfig`,
      { headers: authHeaders('application/yaml'), cache: 'no-store' });
    if (!res.ok) {
      const err = await errorFrom(res);
      if (err.status === 403) {
        replace(notices, el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, 'Administrators only. '),
          "A cluster's kubeconfig grants cluster-admin rights, so only a token with the admin role may download it; ask an administrator."));
        return;
      }
      throw err;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: `${name}.kubeconfig`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    replace(notices, el('p', { class: 'alert info' }, `Saved ${name}.kubeconfig. Keep it safe: it grants cluster-admin rights.`));
  });
}

// Operations: every long-running operation, filterable by state, kind, cluster and actor.
async function operationsView(ctx) {
  const params = ctx.params;
  const reply = await get('/operations' + listQuery(params, ['state', 'kind', 'cluster', 'actor']), ctx.signal);
  return page('Operations', [el('button', { type: 'button', onclick: render }, 'Refresh')],
    filterForm('/operations', params, [
      selectFilter('State', 'state', OPERATION_STATES, params.get('state')),
      el('label', {}, 'Kind ', el('input', { name: 'kind', type: 'text', list: 'op-kinds', size: 16, value: params.get('kind') || '' }),
        el('datalist', { id: 'op-kinds' }, OPERATION_KINDS.map((k) => el('option', { value: k })))),
      textFilter('Cluster', 'cluster', params.get('cluster'), { size: 12 }),
      textFilter('Actor', 'actor', params.get('actor'), { size: 10 }),
    ]),
    table([
      { title: 'Id', cell: (o) => link('/operations/' + enc(o.id), o.id) },
      { title: 'Kind', cell: (o) => o.kind },
      { title: 'Target', cell: (o) => targetLink(o.target) },
      { title: 'Actor', cell: (o) => o.actor },
      { title: 'State', cell: (o) => badge(o.state) },
      { title: 'Started', cell: (o) => timeEl(o.created_at) },
      { title: 'Took', class: 'num', cell: (o) => fmtDuration(o.created_at, o.finished_at) },
    ], reply.items, 'No operation matches.'),
    pager('/operations', params, reply.next_cursor));
}

function targetLink(target) {
  if (!target) return '—';
  const text = `${target.kind} ${target.name}`;
  if (target.kind === 'vcenter') return link('/vcenters/' + enc(target.name), text);
  if (target.kind === 'cluster') return link('/clusters/' + enc(target.name), text);
  return text;
}

// One operation: its summary and step timeline, kept live from the event stream while it
// runs, with a Cancel button.
async function operationView(ctx, id) {
  const op = await get('/operations/' + enc(id), ctx.signal);
  const notices = el('div', { class: 'notices' });
  const live = el('span', { class: 'live' });
  const body = el('div');
  const cancel = actionButton('Cancel', 'danger', notices, async () => {
    if (!window.confirm('Cancel this operation? Whatever it created so far is undone.')) return;
    await post(`/operations/${enc(id)}/cancel`);
    replace(notices, el('p', { class: 'alert info' }, 'Cancellation requested; the steps below show it happen.'));
  });
  const update = (next) => {
    replace(body, operationSummary(next), el('h2', {}, 'Steps'), stepTimeline(next.steps));
    cancel.hidden = !isActive(next.state);
  };
  update(op);
  if (isActive(op.state)) followOperation(ctx.signal, id, update, live);
  return page(`Operation ${op.id}`, [live, cancel], notices, body);
}

function operationSummary(op) {
  return [
    facts([
      ['State', badge(op.state)],
      ['Kind', op.kind],
      ['Target', targetLink(op.target)],
      ['Actor', op.actor],
      ['Request id', op.request_id && el('code', {}, op.request_id)],
      ['Started', timeEl(op.created_at)],
      ['Finished', op.finished_at ? [timeEl(op.finished_at), ` (took ${fmtDuration(op.created_at, op.finished_at)})`] : '—'],
      ['Workflow', el('code', {}, op.workflow_id)],
    ]),
    op.error && el('pre', { class: 'alert error' }, op.error),
  ];
}

/** stepTimeline shows each step: name, state, attempts, start, finish and error. */
function stepTimeline(steps) {
  if (!steps || !steps.length) return el('p', { class: 'empty' }, 'No step has started yet.');
  return el('ol', { class: 'timeline' }, steps.map((s) => el('li', { class: 'step ' + stateClass(s.state) },
    el('div', { class: 'step-head' },
      badge(s.state),
      el('span', { class: 'step-name' }, s.name),
      el('span', { class: s.attempts > 1 ? 'attempts retried' : 'attempts' }, `${s.attempts} attempt${s.attempts === 1 ? '' : 's'}`)),
    el('div', { class: 'step-times muted' },
      'started ', timeEl(s.started_at), ' · finished ', timeEl(s.finished_at),
      s.started_at ? ` · ${fmtDuration(s.started_at, s.finished_at)}` : ''),
    s.error && el('pre', { class: 'step-error' }, s.error))));
}

/** followOperation feeds every "operation" event of the stream to onOperation until the
 *  server says "end" or the view goes away, reconnecting with backoff when the stream
 *  breaks (each new stream starts with the whole operation, so nothing is missed). */
async function followOperation(signal, id, onOperation, status) {
  const show = (text, cls) => {
    status.textContent = text;
    status.className = 'live ' + cls;
  };
  for (let failures = 0; failures < 8 && !signal.aborted;) {
    show('● live', 'on');
    try {
      const ended = await readEvents(`/operations/${enc(id)}/events`, signal, (event, data) => {
        if (event === 'operation') onOperation(JSON.parse(data));
      });
      if (ended) {
        show('finished', 'off');
        return;
      }
      failures = 0; // a stream that closed after working is not a failure in a row
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
        show(`live updates unavailable (${err.status}: ${err.message})`, 'off');
        return;
      }
      failures++;
    }
    show('reconnecting…', 'off');
    await sleep(Math.min(1000 * 2 ** failures, 15000), signal);
  }
  if (!signal.aborted) show('live updates stopped; reload to retry', 'off');
}

// Audit log: every request that changed something (or was refused), newest first.
async function auditView(ctx) {
  const params = ctx.params;
  const reply = await get('/audit' + listQuery(params, ['actor', 'action', 'target']), ctx.signal);
  return page('Audit log', [],
    filterForm('/audit', params, [
      textFilter('Actor', 'actor', params.get('actor'), { size: 10 }),
      textFilter('Action', 'action', params.get('action'), { size: 14, placeholder: 'vcenter.sync' }),
      textFilter('Target', 'target', params.get('target'), { size: 14, placeholder: 'cluster/dev-east' }),
    ]),
    table([
      { title: 'Time', cell: (e) => timeEl(e.at) },
      { title: 'Actor', cell: (e) => e.actor },
      { title: 'Action', cell: (e) => e.action },
      { title: 'Target', cell: (e) => orDash(e.target) },
      { title: 'Outcome', cell: (e) => badge(e.outcome) },
      { title: 'Status', class: 'num', cell: (e) => e.status },
      { title: 'Request id', cell: (e) => el('code', {}, e.request_id) },
    ], reply.items, 'No audit event matches.'),
    pager('/audit', params, reply.next_cursor));
}

// ---------------------------------------------------------------------------------------
// Router: "#/path?query" -> view. The view on screen is aborted (its requests and event
// stream with it) whenever another one replaces it.

const ROUTES = [
  { pattern: /^\/vcenters$/, view: vcentersView, nav: 'vcenters' },
  { pattern: /^\/vcenters\/([^/]+)$/, view: vcenterView, nav: 'vcenters' },
  { pattern: /^\/ippools$/, view: ippoolsView, nav: 'ippools' },
  { pattern: /^\/ippools\/([^/]+)$/, view: ippoolView, nav: 'ippools' },
  { pattern: /^\/clusters$/, view: clustersView, nav: 'clusters' },
  { pattern: /^\/clusters\/([^/]+)$/, view: clusterView, nav: 'clusters' },
  { pattern: /^\/operations$/, view: operationsView, nav: 'operations' },
  { pattern: /^\/operations\/([^/]+)$/, view: operationView, nav: 'operations' },
  { pattern: /^\/audit$/, view: auditView, nav: 'audit' },
];

let currentView = null; // AbortController of the view on screen

/** go navigates to path (without "#"), re-rendering even when it is the current one. */
function go(path) {
  if (location.hash === '#' + path) render();
  else location.hash = '#' + path;
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  render();
}

function mount(...nodes) {
  replace(document.getElementById('view'), nodes);
}

/** showNav shows the navigation when signed in and marks the current section. */
function showNav(signedIn, section) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('signout').hidden = !signedIn;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function decodeParts(parts) {
  try {
    return parts.map(decodeURIComponent);
  } catch (_) {
    return null;
  }
}

async function render() {
  if (currentView) currentView.abort();
  currentView = new AbortController();
  const ctx = { signal: currentView.signal, params: null };
  if (!token()) {
    showNav(false);
    mount(signInView());
    return;
  }
  const { path, params } = parseHash(location.hash);
  ctx.params = params;
  const route = ROUTES.find((r) => r.pattern.test(path));
  const args = route && decodeParts(path.match(route.pattern).slice(1));
  showNav(true, route && route.nav);
  if (!route || !args) {
    mount(el('p', { class: 'alert error' }, 'No such page. '), link('/vcenters', 'Go to vCenters'));
    return;
  }
  mount(el('p', { class: 'loading' }, 'Loading…'));
  try {
    const node = await route.view(ctx, ...args);
    if (!ctx.signal.aborted) mount(node);
  } catch (err) {
    if (!ctx.signal.aborted && err.name !== 'AbortError') mount(problemBox(err));
  }
}

function start() {
  document.getElementById('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', render);
  render();
}

if (typeof module === 'object' && module.exports) {
  // Under node (the Go test), export the pure helpers instead of starting the app.
  module.exports = { sseParser, fieldCandidates, setPath, placementChoices, fmtBytes, fmtDuration, parseHash, withQuery, stateClass };
} else {
  document.addEventListener('DOMContentLoaded', start);
}
