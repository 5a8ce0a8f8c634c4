// Projects: the projects the caller sees, with how many clusters each holds of its quota;
// one project's quotas as usage bars, its members (which its admins and platform admins
// may edit: PATCH {members}) and what it may use (vCenters, IP pools, placements).
import { enc, get, request } from '../api.js';
import { el, facts, link, page, table, timeEl } from '../dom.js';
import { fmtBytes } from '../format.js';
import { errorSlot, field, selectField, submitForm, toggleForm } from '../forms.js';
import { pager } from '../lists.js';
import { refresh, withQuery } from '../nav.js';
import { chooseProject, forgetProjects } from '../project-switch.js';
import { whoami } from '../session.js';

const ROLES = ['admin', 'operator', 'viewer'];
const KINDS = ['person', 'token'];

/** QUOTAS are a project's quotas in the order the page shows them: the field of usage
 *  and quotas, a label, and how amounts of it are written (count: a whole number and its
 *  unit; bytes: in binary units). */
export const QUOTAS = [
  { key: 'clusters', label: 'Clusters', unit: ['cluster', 'clusters'] },
  { key: 'vcpus', label: 'vCPUs', unit: ['vCPU', 'vCPUs'] },
  { key: 'memory_mib', label: 'Memory', bytes: 1024 ** 2 },
  { key: 'disk_gib', label: 'Disk', bytes: 1024 ** 3 },
  { key: 'nodes', label: 'Nodes', unit: ['node', 'nodes'] },
];

/** WARN_AT is the share of a quota from which its bar warns. */
export const WARN_AT = 0.9;

/** quotaUse describes the use of one quota: its text ("12 / 16 vCPUs", "48.0 GiB /
 *  64.0 GiB", "3 nodes" without a limit), the share used (null without a limit, Infinity
 *  for any use of a zero quota) and the bar's level: "ok", "warn" from WARN_AT of the
 *  quota, "over" beyond it, "none" without a limit. */
export function quotaUse(q, used, limit) {
  const n = Number(used) || 0;
  const unit = (v) => (q.unit ? q.unit[v === 1 ? 0 : 1] : '');
  const amount = (v) => (q.bytes ? fmtBytes(v * q.bytes) : String(v));
  if (limit === null || limit === undefined) {
    return { text: q.bytes ? amount(n) : `${n} ${unit(n)}`, share: null, level: 'none' };
  }
  const share = limit > 0 ? n / limit : (n > 0 ? Infinity : 1);
  const text = `${amount(n)} / ${amount(limit)}` + (q.unit ? ` ${unit(limit)}` : '');
  return { text, share, level: share > 1 ? 'over' : share >= WARN_AT ? 'warn' : 'ok' };
}

/** quotaBar is one resource's use of its quota: a label, the numbers and a bar. */
function quotaBar(q, used, limit) {
  const use = quotaUse(q, used, limit);
  const fill = el('div', { class: 'quota-fill' });
  fill.style.width = use.share === null ? '0%' : `${Math.min(100, Math.round(use.share * 100))}%`;
  const bar = use.share === null
    ? el('div', { class: 'quota-bar none' }, el('span', { class: 'quota-nolimit' }, 'no limit'))
    : el('div', {
      class: 'quota-bar', role: 'meter', 'aria-label': q.label,
      'aria-valuemin': 0, 'aria-valuemax': limit, 'aria-valuenow': Number(used) || 0, 'aria-valuetext': use.text,
    }, fill);
  return el('div', { class: `quota level-${use.level}`, 'data-quota': q.key },
    el('div', { class: 'quota-head' },
      el('span', { class: 'quota-label' }, q.label),
      el('span', { class: 'quota-numbers' }, use.text),
      use.share !== null && el('span', { class: 'quota-share' }, Number.isFinite(use.share) ? `${Math.round(use.share * 100)} %` : 'over')),
    bar);
}

/** clustersCell is the list's "clusters used / quota" of a project read with its usage. */
function clustersCell(p) {
  if (!p || !p.usage) return '—';
  const use = quotaUse(QUOTAS[0], p.usage.clusters, p.quotas && p.quotas.clusters);
  return el('span', { class: `quota-cell level-${use.level}` }, use.text);
}

export async function projectsView(ctx) {
  const params = ctx.params;
  const q = new URLSearchParams({ limit: '50' });
  if (params.get('cursor')) q.set('cursor', params.get('cursor'));
  const reply = await get('/projects?' + q.toString(), ctx.signal);
  forgetProjects(); // the switcher reads the list again, in case it changed
  // The list carries no usage: each project is read for it.
  const full = await Promise.all(reply.items.map((p) => get('/projects/' + enc(p.name), ctx.signal).catch(() => null)));
  const rows = reply.items.map((p, i) => Object.assign({}, p, full[i] || {}));
  return page('Projects', [],
    table([
      { title: 'Name', cell: (p) => link('/projects/' + enc(p.name), p.name) },
      { title: 'Clusters (used / quota)', class: 'num', cell: (p) => clustersCell(p) },
      { title: 'Members', class: 'num', cell: (p) => (p.members ? p.members.length : '—') },
      { title: 'Description', cell: (p) => p.description || el('span', { class: 'muted' }, '—') },
    ], rows, 'No project you are a member of.'),
    pager('/projects', params, reply.next_cursor));
}

/** mayEditMembers says whether the caller may change the project's members: its admins
 *  and platform admins, and anyone when the server does not say who it is. */
export function mayEditMembers(me, project) {
  if (!me) return true;
  return me.platform_role === 'admin' || (me.projects || {})[project] === 'admin';
}

/** anyOf writes an allow-list: "*" is "any". */
function anyOf(list, what) {
  if (!list || !list.length) return el('span', { class: 'muted' }, `no ${what}`);
  return list.map((v) => (v === '*' ? `any ${what.replace(/s$/, '')}` : v)).join(', ');
}

export async function projectView(ctx, name) {
  const [p, me] = await Promise.all([get('/projects/' + enc(name), ctx.signal), whoami()]);
  const usage = p.usage || {};
  const quotas = p.quotas || {};
  const editor = mayEditMembers(me, p.name) && membersForm(p);
  if (editor) editor.hidden = true;
  const open = el('a', { href: '#/clusters', onclick: () => chooseProject(p.name) }, 'Its clusters →');
  const star = (v) => (v === '*' ? 'any' : v);
  return page(`Project ${p.name}`, [open, link(withQuery('/operations', { project: p.name }), 'Operations →')],
    facts([
      ['Description', p.description],
      ['ClusterSets', String(usage.clustersets || 0)],
      ['Created', [timeEl(p.created_at), p.created_by && ` by ${p.created_by}`]],
      ['Updated', timeEl(p.updated_at)],
    ]),
    el('h2', {}, 'Quotas'),
    el('div', { class: 'quotas card' }, QUOTAS.map((q) => quotaBar(q, usage[q.key], quotas[q.key]))),
    el('section', { id: 'members' },
      el('div', { class: 'page-head' }, el('h2', {}, 'Members'), editor && toggleForm('Edit members', editor)),
      editor,
      table([
        { title: 'Subject', cell: (m) => m.subject },
        { title: 'Kind', cell: (m) => m.kind },
        { title: 'Role', cell: (m) => m.role },
      ], p.members, 'No members: only platform roles see this project.')),
    el('h2', {}, 'What it may use'),
    facts([
      ['vCenters', anyOf(p.vcenters, 'vCenters')],
      ['IP pools', anyOf(p.ip_pools, 'IP pools')],
    ]),
    el('h3', {}, 'Placements'),
    table([
      { title: 'vCenter', cell: (s) => star(s.vcenter) },
      { title: 'Datacenter', cell: (s) => star(s.datacenter) },
      { title: 'Compute cluster', cell: (s) => star(s.compute_cluster) },
    ], p.placements, 'No placement: its clusters may go nowhere yet.'));
}

/** membersForm edits the member list: a row per member (subject, kind, role), rows
 *  added and removed, saved as a whole with PATCH {members}. Inputs are named by the
 *  API's field paths ("members[2].role") so that field errors land next to them. */
function membersForm(p) {
  const rows = el('div', { class: 'member-rows' });
  function renumber() {
    [...rows.children].forEach((row, i) => {
      row.querySelector('.slot').dataset.field = `members[${i}]`;
      for (const slot of row.querySelectorAll('.field[data-key]')) {
        const name = `members[${i}].${slot.dataset.key}`;
        slot.dataset.field = name;
        slot.querySelector('label').htmlFor = 'f-' + name;
        Object.assign(slot.querySelector('input, select'), { id: 'f-' + name, name });
      }
    });
  }
  function add(m) {
    const keyed = (key, node) => {
      node.dataset.key = key;
      return node;
    };
    const row = el('div', { class: 'member-edit' },
      keyed('subject', field('Subject', 'm-subject', { value: m.subject || '', required: true, autocomplete: 'off' })),
      keyed('kind', selectField('Kind', 'm-kind', KINDS.map((k) => [k, k]), m.kind || 'person')),
      keyed('role', selectField('Role', 'm-role', ROLES.map((r) => [r, r]), m.role || 'viewer')),
      el('button', { type: 'button', class: 'small', onclick: () => { row.remove(); renumber(); } }, 'Remove'),
      errorSlot(''));
    rows.append(row);
    renumber();
  }
  (p.members || []).forEach(add);
  const form = el('form', { class: 'card members-form', novalidate: true },
    rows, errorSlot('members'),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => add({}) }, 'Add member')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Save members')));
  const members = () => [...rows.children].map((row) => ({
    subject: row.querySelector('[data-key=subject] input').value.trim(),
    kind: row.querySelector('[data-key=kind] select').value,
    role: row.querySelector('[data-key=role] select').value,
  }));
  return submitForm(form, () => request('PATCH', '/projects/' + enc(p.name), { members: members() }), () => {
    forgetProjects();
    refresh();
  });
}
