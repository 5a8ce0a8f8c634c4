// The REST API client (/api/v1, see API.md). A pasted token lives in sessionStorage (gone
// when the tab closes) and is sent as "Authorization: Bearer <token>" on every call,
// including the operation event stream, which is read with fetch() because EventSource
// cannot send that header. A person signed in by single sign-on has instead an HttpOnly
// session cookie, which the browser sends itself; every mutating call then carries the
// session's CSRF token (from GET /auth/session, see sso.js) in X-CSRF-Token.
import { sseParser } from './sse.js';

export const API_BASE = '/api/v1';
export const TOKEN_KEY = 'clusterwright.token';

/** enc escapes a name or id for a URL path. */
export const enc = encodeURIComponent;

/** ApiError is a failed call: status 0 for a network failure, and the problem+json body. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || {};
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

let csrf = ''; // the CSRF token of the single sign-on session, if any

/** setCSRF keeps the session's CSRF token ('' when signed out). */
export function setCSRF(value) {
  csrf = value || '';
}

/** authHeaders are the headers of a call: the token, or for a session call that changes
 *  something (method other than GET), its CSRF token. */
export function authHeaders(accept, method) {
  const headers = { Accept: accept };
  if (token()) headers.Authorization = 'Bearer ' + token();
  else if (csrf && method && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  return headers;
}

/** request calls the API and returns the JSON reply, or throws an ApiError. */
export async function request(method, path, body, signal) {
  const init = { method, headers: authHeaders('application/json', method), signal, cache: 'no-store', credentials: 'same-origin' };
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
export async function errorFrom(res) {
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

export const get = (path, signal) => request('GET', path, undefined, signal);
export const post = (path, body, signal) => request('POST', path, body, signal);
export const del = (path, signal) => request('DELETE', path, undefined, signal);

/** readEvents reads a Server-Sent Events stream with fetch(), calling onEvent(event, data,
 *  id) for each event but "end". With lastEventId it asks for the events after that one
 *  (the Last-Event-ID header, as EventSource sends it when it reconnects). It returns true
 *  when the server sent "end", false when the stream closed without it. */
export async function readEvents(path, signal, onEvent, lastEventId) {
  const headers = authHeaders('text/event-stream');
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  const res = await fetch(API_BASE + path, { headers, signal, cache: 'no-store' });
  if (!res.ok) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let ended = false;
  const parser = sseParser((event, data, id) => {
    if (event === 'end') ended = true;
    else if (!ended) onEvent(event, data, id);
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
