// ClusterSets: every Antrea Multi-cluster ClusterSet with its leader, phase and ready
// members, and the New ClusterSet form; one set's phase, active operation and members
// (state, readiness, gateways, imports), followed while an operation runs, with Join,
// Leave and Disband for operators (hidden for viewers; the server decides anyway).
import { del, enc, get } from '../api.js';
import { badge, el, facts, link, orDash, page, replace, sleep, table, timeEl } from '../dom.js';
import { confirmDialog, problemBox, toggleForm } from '../forms.js';
import { listQuery, pager } from '../lists.js';
import { go } from '../nav.js';
import { currentProject, projectColumn } from '../project-switch.js';
import { mayOperate, whoami } from '../session.js';
import { joinForm, newClusterSetForm, setCandidates } from './clusterset-form.js';

/** FOLLOW_MS is how often a set's page reads the set again while an operation runs. */
const FOLLOW_MS = 3000;

/** memberCount is "ready / total" of a set's members. */
export function memberCount(members) {
  const list = members || [];
  return `${list.filter((m) => m.ready).length} / ${list.length}`;
}

/** operationCell links to a set's active operation, with its kind and state. */
function operationCell(op) {
  if (!op) return '—';
  return [link('/operations/' + enc(op.id), op.kind), ' ', badge(op.state),
    op.decision && op.decision.step && el('div', { class: 'muted' }, `waits at ${op.decision.step}`)];
}

/** readyClusters reads the Ready clusters of project ("" for every project the caller
 *  sees): a set's candidates are among them, as a set spans one project's clusters. */
async function readyClusters(signal, project) {
  const { items } = await get('/clusters?phase=Ready&limit=500' + (project ? '&project=' + enc(project) : ''), signal);
  return items;
}

export async function clusterSetsView(ctx) {
  const params = ctx.params;
  const [reply, me] = await Promise.all([get('/clustersets' + listQuery(params, []), ctx.signal), whoami()]);
  const operator = mayOperate(me);
  let form = null;
  if (operator) {
    form = newClusterSetForm(setCandidates(await readyClusters(ctx.signal, params.get('project') || currentProject())));
    form.hidden = reply.items.length > 0 || Boolean(params.get('cursor'));
  }
  return page('ClusterSets', [operator && toggleForm('New ClusterSet', form)], form,
    table([
      { title: 'Name', cell: (s) => link('/clustersets/' + enc(s.name), s.name) },
      projectColumn(params),
      { title: 'Leader', cell: (s) => link('/clusters/' + enc(s.leader), s.leader) },
      { title: 'Phase', cell: (s) => [badge(s.phase), s.phase_reason && el('div', { class: 'muted' }, s.phase_reason)] },
      { title: 'Members ready', class: 'num', cell: (s) => memberCount(s.members) },
      { title: 'Operation', cell: (s) => operationCell(s.operation) },
      { title: 'Created', cell: (s) => timeEl(s.created_at) },
    ], reply.items, 'No ClusterSet yet.' + (operator ? ' Form one from Ready clusters that run Antrea.' : '')),
    pager('/clustersets', params, reply.next_cursor));
}

// One set: its facts and members, read again every few seconds while an operation runs;
// the actions stay outside the part that is redrawn, so that an open form or dialog stays.
export async function clusterSetView(ctx, name) {
  const [set, me] = await Promise.all([get('/clustersets/' + enc(name), ctx.signal), whoami()]);
  const operator = mayOperate(me);
  const notices = el('div', { class: 'notices' });
  const leave = operator ? leaveDialog(name, notices) : null;
  const live = el('div', { class: 'clusterset-live' });
  const draw = (s) => replace(live, setDetails(s, leave));
  draw(set);
  follow(ctx, name, set, live, draw);
  let join = null;
  if (operator) {
    join = joinForm(name, setCandidates(await readyClusters(ctx.signal, set.project)));
    join.hidden = true;
  }
  const disband = operator ? disbandDialog(name, notices) : null;
  return page(`ClusterSet ${set.name}`,
    operator && [toggleForm('Join cluster', join), disband.button],
    notices, join, live, leave && leave.dialog, disband && disband.dialog);
}

/** follow reads the set again while it has an active operation and draws it; a set that
 *  is gone (disbanded) is announced. */
async function follow(ctx, name, set, live, draw) {
  let current = set;
  while (current.operation && !ctx.signal.aborted) {
    await sleep(FOLLOW_MS, ctx.signal);
    if (ctx.signal.aborted) return;
    try {
      current = await get('/clustersets/' + enc(name), ctx.signal);
      draw(current);
    } catch (err) {
      if (ctx.signal.aborted || err.name === 'AbortError') return;
      if (err.status === 404) {
        replace(live, el('p', { class: 'alert info' }, `ClusterSet ${name} is disbanded. `, link('/clustersets', 'All ClusterSets')));
        return;
      }
      replace(live, problemBox(err)); // and try again
    }
  }
}

/** setDetails is the set's facts and its members table. */
function setDetails(s, leave) {
  const spec = s.spec || {};
  const columns = [
    { title: 'Cluster', cell: (m) => link('/clusters/' + enc(m.cluster), m.cluster) },
    { title: 'Role', cell: (m) => (m.leader ? 'leader' : 'member') },
    { title: 'State', cell: (m) => badge(m.state) },
    { title: 'Ready', cell: (m) => [readyBadge(m), m.message && el('div', { class: 'muted' }, m.message)] },
    { title: 'Gateway', cell: (m) => gatewayCell(m.gateway) },
    { title: 'Imports', cell: (m) => importsCell(m.imports) },
    { title: 'Updated', cell: (m) => timeEl(m.updated_at) },
  ];
  if (leave) {
    columns.push({ title: '', class: 'right', cell: (m) => !m.leader && m.state !== 'Leaving' && leave.button(m.cluster) });
  }
  return [
    facts([
      ['Phase', [badge(s.phase), s.phase_reason && ` ${s.phase_reason}`]],
      ['Operation', s.operation && operationCell(s.operation)],
      ['Leader', link('/clusters/' + enc(s.leader), s.leader)],
      ['Gateway IP precedence', spec.gateway_ip_precedence],
      ['Endpoint IP type', spec.endpoint_ip_type],
      ['Created', [timeEl(s.created_at), s.created_by && ` by ${s.created_by}`]],
      ['Updated', timeEl(s.updated_at)],
    ]),
    el('h2', {}, `Members (${memberCount(s.members)} ready)`),
    table(columns, s.members, 'No member.'),
  ];
}

/** readyBadge says whether a member is ready; one still joining is not yet. */
function readyBadge(m) {
  if (m.ready) return badge('Ready');
  return m.state === 'Joining' ? el('span', { class: 'muted' }, 'not yet') : badge('NotReady');
}

/** gatewayCell shows a member's active Gateway node and its candidates. */
function gatewayCell(gw) {
  const g = gw || {};
  const candidates = g.candidates || [];
  return el('div', { class: 'gateway' },
    g.active ? el('span', { class: 'gw-active' }, el('code', {}, g.active), ' active') : el('span', { class: 'muted' }, 'none active'),
    el('div', { class: 'muted' }, 'candidates: ', candidates.length ? candidates.join(', ') : '—'));
}

function importsCell(imports) {
  const list = imports || [];
  return list.length ? list.map((c, i) => [i ? ', ' : '', link('/clusters/' + enc(c), c)]) : orDash('');
}

/** leaveDialog confirms that a member leaves the set; button(cluster) opens it for one
 *  member. The leader cannot leave (the server says 409: disband instead). */
function leaveDialog(setName, notices) {
  let member = '';
  const title = el('span', {});
  const what = el('span', {});
  const { dialog, open } = confirmDialog({
    id: 'leave',
    title,
    body: el('p', {}, what),
    keep: 'Keep it in the set',
    confirm: 'Leave',
    onConfirm: async () => {
      replace(notices);
      try {
        const reply = await del(`/clustersets/${enc(setName)}/members/${enc(member)}`);
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        replace(notices, problemBox(err));
      }
    },
  });
  const button = (cluster) => el('button', { type: 'button', class: 'small', 'data-action': 'leave', 'data-cluster': cluster, onclick: () => {
    member = cluster;
    replace(title, `Remove ${cluster} from ${setName}?`);
    replace(what, `Everything the set put on ${cluster} (its member controller, the leader's token, its ClusterSet and gateway annotations) is removed, and the leader forgets it. The cluster itself stays.`);
    open();
  } }, 'Leave…');
  return { dialog, button };
}

/** disbandDialog confirms the disbanding of a set: every member leaves, the leader last. */
function disbandDialog(setName, notices) {
  const { dialog, open } = confirmDialog({
    id: 'disband',
    title: `Disband ClusterSet ${setName}?`,
    body: el('p', {}, 'Every member leaves the set, the leader last: what the set put on each cluster is removed. The clusters themselves stay.'),
    keep: 'Keep it',
    confirm: 'Disband ClusterSet',
    onConfirm: async () => {
      replace(notices);
      try {
        const reply = await del('/clustersets/' + enc(setName));
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        replace(notices, problemBox(err));
      }
    },
  });
  const button = el('button', { type: 'button', class: 'danger', 'data-action': 'disband', onclick: open }, 'Disband…');
  return { dialog, button };
}
