// The project switcher in the top bar. The project chosen there scopes the list pages
// (clusters, ClusterSets, operations, schedules, audit: lists.js adds "?project=" to
// their API query) and is the new-cluster form's default project. The choice lives in
// sessionStorage, like the token, so it lasts as long as the tab. "All projects" is
// offered only to callers who see every project (whoami.all_projects); anyone else
// always works in one of their projects. The server filters by the caller's projects
// anyway: the switcher only narrows what it would show.
import { enc, get, token } from './api.js';
import { el, link, replace } from './dom.js';
import { refresh } from './nav.js';
import { whoami } from './session.js';

export const PROJECT_KEY = 'clusterwright.project';

/** The project of objects made before projects, and of those made without one. */
export const DEFAULT_PROJECT = 'default';

let cached = null; // {token, promise} of the last lookup of the caller's projects

/** visibleProjects resolves to {all, names}: whether the caller sees every project, and
 *  the names of the projects it sees, sorted. The answer is kept until the token changes.
 *  When the server does not say (whoami failed), the caller is taken to see all: the
 *  server refuses what is not allowed. */
export function visibleProjects() {
  const t = token();
  if (!cached || cached.token !== t) cached = { token: t, promise: loadProjects() };
  return cached.promise;
}

/** forgetProjects drops the kept list, so that the next page reads it again. */
export function forgetProjects() {
  cached = null;
}

async function loadProjects() {
  const me = await whoami();
  const all = !me || Boolean(me.all_projects);
  let names = me && me.projects ? Object.keys(me.projects) : [];
  if (all) {
    try {
      names = (await get('/projects?limit=500')).items.map((p) => p.name);
    } catch (_) {
      names = []; // the switcher then offers "All projects" only
    }
  }
  return { all, names: names.slice().sort() };
}

/** currentProject is the project the switcher has chosen, "" for all projects. */
export function currentProject() {
  return sessionStorage.getItem(PROJECT_KEY) || '';
}

/** chooseProject makes name ("" for all) the switcher's project, for this page on. */
export function chooseProject(name) {
  if (name) sessionStorage.setItem(PROJECT_KEY, name);
  else sessionStorage.removeItem(PROJECT_KEY);
}

/** settle picks the project the pages work in from the stored choice: a project the
 *  caller no longer sees (another token signed in) is dropped, and a caller who may not
 *  see all projects at once gets its first one. */
export function settle(stored, visible) {
  if (stored && (visible.names.includes(stored) || (visible.all && !visible.names.length))) return stored;
  return visible.all ? '' : (visible.names[0] || '');
}

/** projectChoices are the switcher's [value, label] options. */
export function projectChoices(visible) {
  return (visible.all ? [['', 'All projects']] : []).concat(visible.names.map((n) => [n, n]));
}

/** showProjectSwitch draws the switcher into #project-switch (hidden when signed out)
 *  and settles the current project; it resolves when the pages may read currentProject().
 *  A change stores the choice and draws the page again. */
export async function showProjectSwitch(signedIn) {
  const slot = document.getElementById('project-switch');
  if (!signedIn) {
    slot.hidden = true;
    replace(slot);
    return;
  }
  const signedInAs = token();
  let visible;
  try {
    visible = await visibleProjects();
  } catch (_) {
    return; // the pages show what the server gives
  }
  if (token() !== signedInAs) return; // signed out or in again meanwhile: that page settles it
  const project = settle(currentProject(), visible);
  chooseProject(project);
  const choices = projectChoices(visible);
  const select = el('select', { id: 'project-select', 'aria-label': 'Project', title: 'The project the lists show' },
    choices.map(([value, label]) => el('option', { value, selected: value === project }, label)));
  select.value = project;
  select.addEventListener('change', () => {
    chooseProject(select.value);
    refresh();
  });
  replace(slot, el('span', { class: 'project-switch-label' }, 'Project'), select);
  slot.hidden = choices.length === 0;
}

/** newClusterProject is the project the new-cluster form proposes: the switcher's, else
 *  the default project when the caller may use it, else the caller's first project. */
export function newClusterProject(current, visible) {
  if (current) return current;
  if (visible.all || visible.names.includes(DEFAULT_PROJECT)) return DEFAULT_PROJECT;
  return visible.names[0] || DEFAULT_PROJECT;
}

/** projectColumn is the lists' "Project" column (linking to the project's page), or null
 *  when the list shows one project only (the page's "project" parameter or the switcher
 *  names it): table() leaves a null column out. */
export function projectColumn(params) {
  if (params.get('project') || currentProject()) return null;
  return { title: 'Project', cell: (row) => (row.project ? link('/projects/' + enc(row.project), row.project) : '—') };
}
