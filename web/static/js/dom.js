// DOM building. Data reaches the DOM only as text (el() and textContent), never through
// innerHTML; listeners are attached with addEventListener, as the Content-Security-Policy
// forbids inline handlers.
import { stateClass } from './format.js';

/** el builds an element. attrs are attributes (null, undefined and false are left out, true
 *  is an empty attribute); a function under "on<event>" becomes an event listener. Children
 *  are nodes or values, the latter inserted as text. */
export function el(tag, attrs, ...children) {
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
export function append(node, ...children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** replace swaps node's children for the given ones. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

export function link(path, text) {
  return el('a', { href: '#' + path }, text);
}

export function timeEl(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return el('time', { datetime: iso, title: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

export function badge(state) {
  return el('span', { class: 'badge ' + stateClass(state) }, state || 'unknown');
}

export function orDash(v) {
  return v === null || v === undefined || v === '' ? '—' : v;
}

/** page lays out a view: a title, buttons beside it, then the content. */
export function page(title, actions, ...content) {
  return el('section', { class: 'page' },
    el('div', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'page-actions' }, actions)),
    content);
}

/** table renders rows under columns [{title, cell(row), class}] (a null column is left
 *  out), or a note when empty. */
export function table(allColumns, rows, emptyText) {
  if (!rows || !rows.length) return el('p', { class: 'empty' }, emptyText || 'Nothing here yet.');
  const columns = allColumns.filter(Boolean);
  return el('div', { class: 'table-wrap' },
    el('table', {},
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.class }, c.title)))),
      el('tbody', {}, rows.map((row) => el('tr', {}, columns.map((c) => el('td', { class: c.class }, c.cell(row))))))));
}

/** facts renders [term, value] pairs as a description list. */
export function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.map(([term, value]) => [el('dt', {}, term), el('dd', {}, orDash(value))]));
}

/** sleep waits ms milliseconds, or less when signal aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
