// Sign in: with single sign-on when the server has it (the browser goes to the identity
// provider and comes back with a session cookie), or by pasting an API token, which is
// checked with one read before it is kept.
import { ApiError, TOKEN_KEY, get } from '../api.js';
import { el, replace } from '../dom.js';
import { problemBox } from '../forms.js';
import { refresh } from '../nav.js';
import { ssoSignIn } from '../sso.js';

/** signInView is the sign-in form; sso adds the "Sign in with SSO" button. */
export function signInView(sso) {
  const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = el('div', { class: 'form-error' });
  let ssoPart = [];
  if (sso) {
    const button = el('button', { type: 'button', id: 'sso-signin', class: 'primary' }, 'Sign in with SSO');
    button.addEventListener('click', ssoSignIn);
    ssoPart = [el('div', { class: 'sso' }, button), el('p', { class: 'muted' }, 'Or, for automation and tests:')];
  }
  const form = el('form', { class: 'card signin' },
    el('h1', {}, 'Sign in'),
    ...ssoPart,
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
      refresh();
    } catch (err) {
      sessionStorage.removeItem(TOKEN_KEY);
      replace(status, err instanceof ApiError && err.status === 401
        ? el('p', { class: 'alert error' }, 'This token was not accepted: it is mistyped, revoked or unknown to this server.')
        : problemBox(err));
    }
  });
  if (!sso) setTimeout(() => input.focus(), 0);
  return form;
}
