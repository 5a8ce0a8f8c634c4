// Errors and forms: how a failed call is explained, form inputs named by the API's field
// paths, and field errors of a 400/422 put next to the inputs they name.
import { ApiError, enc } from './api.js';
import { append, el, link, replace } from './dom.js';
import { signOut } from './nav.js';

/** fieldCandidates lists the form fields an API field error may belong to, most precise
 *  first: each shorter prefix of the path follows, so "worker_pools[0].cpus" ->
 *  ["worker_pools[0].cpus", "worker_pools[0]", "worker_pools"]. */
export function fieldCandidates(name) {
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
export function setPath(obj, path, value) {
  const keys = [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]));
  let node = obj;
  keys.slice(0, -1).forEach((key, i) => {
    if (node[key] === undefined) node[key] = typeof keys[i + 1] === 'number' ? [] : {};
    node = node[key];
  });
  node[keys[keys.length - 1]] = value;
  return obj;
}

/** problemBox explains a failed call. 401 and 403 get words of their own, since they mean
 *  the token is bad or its role is too weak, not that the request was wrong. */
export function problemBox(err) {
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

/** field renders a labelled input with a place for its error message; its id is
 *  attrs.id, else "f-" and its name. */
export function field(label, name, attrs, hint) {
  const id = (attrs && attrs.id) || 'f-' + name;
  return el('div', { class: 'field', 'data-field': name },
    el('label', { for: id }, label),
    el('input', Object.assign({ id, name, type: 'text' }, attrs)),
    hint && el('small', { class: 'hint' }, hint),
    el('div', { class: 'field-error' }));
}

/** checkbox renders a labelled checkbox with a place for its error message. */
export function checkbox(label, name) {
  const id = 'f-' + name;
  return el('div', { class: 'field check', 'data-field': name },
    el('input', { id, name, type: 'checkbox' }),
    el('label', { for: id }, label),
    el('div', { class: 'field-error' }));
}

/** numberField is a whole-number input with the API's minimum. */
export function numberField(label, name, value, min, hint) {
  return field(label, name, { type: 'number', step: 1, min, value, required: true }, hint);
}

/** selectField renders a labelled select of [value, label] pairs with a place for its error. */
export function selectField(label, name, options, selected, hint) {
  const id = 'f-' + name;
  const select = el('select', { id, name });
  setChoices(select, options, selected);
  return el('div', { class: 'field', 'data-field': name },
    el('label', { for: id }, label), select,
    hint && el('small', { class: 'hint' }, hint),
    el('div', { class: 'field-error' }));
}

/** setChoices replaces a select's options, keeping its value when it is still offered. */
export function setChoices(select, options, selected) {
  const keep = selected !== undefined ? selected : select.value;
  replace(select, options.map(([value, label]) => el('option', { value }, label)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

/** errorSlot is where field errors about a whole group (a pool, "placement") show. */
export function errorSlot(name) {
  return el('div', { class: 'field slot', 'data-field': name }, el('div', { class: 'field-error' }));
}

/** formValues reads a form: checkboxes as booleans, passwords as typed, the rest trimmed. */
export function formValues(form) {
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
export function showFieldErrors(form, err) {
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
export function submitForm(form, send, done) {
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
export function actionButton(label, cls, notices, action) {
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
export function toggleForm(label, form) {
  return el('button', {
    type: 'button',
    class: 'primary',
    onclick: () => {
      form.hidden = !form.hidden;
      const first = form.querySelector('input, select');
      if (!form.hidden && first) first.focus();
    },
  }, label);
}

/** confirmDialog is a modal that asks before something that cannot be undone. body holds
 *  the explanation (and any inputs); onConfirm runs when the danger button is pressed,
 *  with the dialog still open and the button disabled; the dialog closes after it, also
 *  when it throws (the caller shows the error). open() shows it. */
export function confirmDialog({ id, title, body, keep, confirm, onConfirm }) {
  const button = el('button', { type: 'submit', class: 'danger' }, confirm);
  const dialog = el('dialog', { class: 'confirm', 'aria-labelledby': id + '-title' },
    el('form', { method: 'dialog' },
      el('h2', { id: id + '-title' }, title),
      body,
      el('div', { class: 'actions' },
        el('button', { type: 'button', onclick: () => dialog.close() }, keep), button)));
  dialog.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await onConfirm();
    } finally {
      dialog.close();
      button.disabled = false;
    }
  });
  return { dialog, open: () => dialog.showModal() };
}

/** formDialog is a modal form: body (fields made by field() and the like) above Cancel and
 *  the submit button. On submit, send(values) runs with the button disabled; a refused
 *  request's field errors show next to their fields and the dialog stays open; once send
 *  resolves the dialog closes and done(reply) runs. open() shows it without old errors. */
export function formDialog({ id, title, body, submit, send, done, danger }) {
  const heading = el('h2', { id: id + '-title' }, title);
  const form = el('form', { novalidate: true },
    heading, body,
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' },
      el('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      el('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submit)));
  const dialog = el('dialog', { class: 'confirm', id, 'aria-labelledby': id + '-title' }, form);
  submitForm(form, send, (reply) => {
    dialog.close();
    done(reply);
  });
  return {
    dialog, form, heading,
    open: () => {
      showFieldErrors(form, null);
      dialog.showModal();
      const first = form.querySelector('input:not([type=hidden]), select');
      if (first) first.focus();
    },
  };
}
