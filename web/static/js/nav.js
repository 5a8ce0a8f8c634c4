// Navigation inside the portal: "#/path?query" URLs. main.js registers the function that
// draws the page for the current URL, so that pages can navigate without importing it.
import { TOKEN_KEY, token } from './api.js';
import { ssoSignOut } from './sso.js';

let draw = () => {};

/** onNavigate registers the function that draws the current page. */
export function onNavigate(fn) {
  draw = fn;
}

/** refresh draws the current page again. */
export function refresh() {
  draw();
}

/** go navigates to path (without "#"), drawing the page again even when it is the current one. */
export function go(path) {
  if (location.hash === '#' + path) draw();
  else location.hash = '#' + path;
}

/** signOut forgets the token, or ends the single sign-on session, and shows the sign-in
 *  form. */
export async function signOut() {
  if (token()) sessionStorage.removeItem(TOKEN_KEY);
  else await ssoSignOut();
  draw();
}

/** parseHash splits "#/operations?state=Running" into its path and query parameters. */
export function parseHash(hash) {
  const raw = String(hash || '').replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)) || '/vcenters';
  return { path, params: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** withQuery appends the non-empty parameters to a path. */
export function withQuery(path, params) {
  const clean = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(params)) if (v !== '') clean.set(k, v);
  const s = clean.toString();
  return s ? `${path}?${s}` : path;
}
