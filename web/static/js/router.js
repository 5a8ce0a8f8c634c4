// The router: "#/path?query" -> page. Each page takes ctx ({signal, params}) and the
// route's captures and returns the node to show; it may keep updating that node until
// ctx.signal aborts, which happens when another page replaces it (its requests and event
// stream end with it).
import { token } from './api.js';
import { el, link, replace } from './dom.js';
import { problemBox } from './forms.js';
import { onNavigate, parseHash, signOut } from './nav.js';
import { auditView } from './pages/audit.js';
import { clusterView, clustersView } from './pages/clusters.js';
import { clusterSetView, clusterSetsView } from './pages/clustersets.js';
import { ippoolView, ippoolsView } from './pages/ippools.js';
import { operationView } from './pages/operation.js';
import { operationsView } from './pages/operations.js';
import { projectView, projectsView } from './pages/projects.js';
import { schedulesView } from './pages/schedules.js';
import { signInView } from './pages/signin.js';
import { vcenterView, vcentersView } from './pages/vcenters.js';
import { showProjectSwitch } from './project-switch.js';
import { whoami } from './session.js';
import { projectsOf, ssoState } from './sso.js';

const ROUTES = [
  { pattern: /^\/vcenters$/, view: vcentersView, nav: 'vcenters' },
  { pattern: /^\/vcenters\/([^/]+)$/, view: vcenterView, nav: 'vcenters' },
  { pattern: /^\/ippools$/, view: ippoolsView, nav: 'ippools' },
  { pattern: /^\/ippools\/([^/]+)$/, view: ippoolView, nav: 'ippools' },
  { pattern: /^\/clusters$/, view: clustersView, nav: 'clusters' },
  { pattern: /^\/clusters\/([^/]+)$/, view: clusterView, nav: 'clusters' },
  { pattern: /^\/clustersets$/, view: clusterSetsView, nav: 'clustersets' },
  { pattern: /^\/clustersets\/([^/]+)$/, view: clusterSetView, nav: 'clustersets' },
  { pattern: /^\/schedules$/, view: schedulesView, nav: 'schedules' },
  { pattern: /^\/operations$/, view: operationsView, nav: 'operations' },
  { pattern: /^\/operations\/([^/]+)$/, view: operationView, nav: 'operations' },
  { pattern: /^\/audit$/, view: auditView, nav: 'audit' },
  { pattern: /^\/projects$/, view: projectsView, nav: 'projects' },
  { pattern: /^\/projects\/([^/]+)$/, view: projectView, nav: 'projects' },
];

let currentView = null; // AbortController of the view on screen

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

/** showUser names the signed-in token or person and their role in the top bar, when the
 *  server says; for a person signed in by single sign-on, also their projects. */
async function showUser(session) {
  const slot = document.getElementById('whoami');
  const projects = document.getElementById('projects');
  const me = token() || session ? await whoami() : null;
  slot.hidden = !me;
  slot.textContent = me ? `${me.name} (${me.role})` : '';
  const mine = !token() && session ? projectsOf(session) : '';
  projects.hidden = !mine;
  projects.textContent = mine ? 'Projects: ' + mine : '';
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
  const sso = token() ? null : await ssoState();
  if (ctx.signal.aborted) return;
  const session = sso && sso.session;
  showUser(session);
  if (!token() && !session) {
    showNav(false);
    showProjectSwitch(false);
    mount(signInView(sso && sso.sso));
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
    await showProjectSwitch(true); // the list pages read the project it settles
    if (ctx.signal.aborted) return;
    const node = await route.view(ctx, ...args);
    if (!ctx.signal.aborted) mount(node);
  } catch (err) {
    if (!ctx.signal.aborted && err.name !== 'AbortError') mount(problemBox(err));
  }
}

/** start draws the page of the current URL and again whenever it changes. */
export function start() {
  onNavigate(render);
  document.getElementById('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', render);
  render();
}
