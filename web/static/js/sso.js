// Single sign-on: GET /auth/session says whether the server signs people in through an
// OpenID Connect provider and, when this browser has a session cookie, who it is, with
// the CSRF token that mutating calls send (api.js). Signing in is a navigation to
// /auth/login (the server sends the browser to the provider and back); signing out is
// POST /auth/logout.
import { setCSRF } from './api.js';

let state = null; // the promise of the last GET /auth/session

/** ssoState resolves to {sso, session} ({name, role, projects, csrf_token, …} or null);
 *  fresh asks the server again. */
export function ssoState(fresh) {
  if (!state || fresh) {
    state = fetch('/auth/session', { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
      .then((res) => (res.ok ? res.json() : { sso: true, session: null }))
      .catch(() => ({ sso: false, session: null }))
      .then((s) => {
        setCSRF(s.session ? s.session.csrf_token : '');
        return s;
      });
  }
  return state;
}

/** ssoSignIn goes to the provider's sign-in, coming back to the current page. */
export function ssoSignIn() {
  location.assign('/auth/login?return_to=' + encodeURIComponent('/' + location.hash));
}

/** ssoSignOut ends the session (the server clears the cookie). */
export async function ssoSignOut() {
  const s = await ssoState();
  if (s.session) {
    await fetch('/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': s.session.csrf_token }, credentials: 'same-origin' })
      .catch(() => {});
  }
  setCSRF('');
  state = Promise.resolve({ sso: s.sso, session: null });
}

/** projectsOf lists a session's projects as "team-a (operator)", sorted; a platform role
 *  as "all projects (admin)". */
export function projectsOf(session) {
  if (!session) return '';
  const parts = Object.keys(session.projects || {}).sort().map((p) => `${p} (${session.projects[p]})`);
  if (session.platform_role) parts.unshift(`all projects (${session.platform_role})`);
  return parts.join(', ');
}
