// Paginated, filterable lists: the filter form, the API query and the pager.
import { append, el, link } from './dom.js';
import { formValues } from './forms.js';
import { go, withQuery } from './nav.js';
import { currentProject } from './project-switch.js';

const PAGE_SIZE = 50;

/** pager links to the first page and, when there is one, the next page of a list. */
export function pager(path, params, nextCursor) {
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

/** listQuery is the API query of a paginated list: the page's filters, cursor and limit,
 *  and the project: the page's "project" parameter, else the top bar's switcher's. */
export function listQuery(params, names) {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const name of names.concat('cursor')) if (params.get(name)) q.set(name, params.get(name));
  const project = params.get('project') || currentProject();
  if (project) q.set('project', project);
  return '?' + q.toString();
}

/** filterForm renders filter inputs that, when applied, navigate to path with them;
 *  transform, when given, turns the form's values into the page's parameters. */
export function filterForm(path, params, inputs, transform) {
  const form = el('form', { class: 'filters' }, inputs,
    el('button', { type: 'submit' }, 'Filter'),
    link(path, 'Clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = formValues(form);
    go(withQuery(path, transform ? transform(values) : values));
  });
  return form;
}

export function selectFilter(label, name, options, value) {
  return el('label', {}, label, ' ',
    el('select', { name }, el('option', { value: '' }, 'any'),
      options.map((o) => el('option', { value: o, selected: o === value }, o))));
}

export function textFilter(label, name, value, attrs) {
  return el('label', {}, label, ' ', el('input', Object.assign({ name, type: 'text', value: value || '' }, attrs)));
}
