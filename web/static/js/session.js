// Who the signed-in token belongs to, from GET /api/v1/whoami ({name, role}). The portal
// uses the role only to hide what the server would refuse anyway (a viewer's Retry and
// Cancel, ClusterSet actions); when the call fails the portal shows everything and lets
// the server decide.
import { get, token } from './api.js';

let cached = null; // {token, promise} of the last lookup

/** whoami resolves to {name, role} of the current token (or single sign-on session), or
 *  null when the server does not say. The answer is kept until the token changes; a
 *  session's answer for a second only (another person may sign in in the same tab). */
export function whoami() {
  const t = token();
  if (!cached || cached.token !== t || (!t && Date.now() - cached.at > 1000)) {
    cached = { token: t, at: Date.now(), promise: get('/whoami').catch(() => null) };
  }
  return cached.promise;
}

/** mayOperate says whether a caller may start or decide operations (operators and
 *  admins): anyone but a viewer, and anyone at all when the role is unknown (the server
 *  refuses what is not allowed). */
export function mayOperate(me) {
  return !me || !me.role || me.role !== 'viewer';
}

/** mayDecide says whether a caller may retry or cancel operations. */
export const mayDecide = mayOperate;

/** mayAbandon says whether a caller may abandon operations (admins), and anyone when the
 *  role is unknown (the server refuses what is not allowed). */
export function mayAbandon(me) {
  return !me || !me.role || me.role === 'admin';
}
