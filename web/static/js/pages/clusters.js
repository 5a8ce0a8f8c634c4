// Clusters: every cluster with its phase and nodes, filterable and paginated; one cluster's
// phase, placement, nodes, add-ons, ClusterSet and certificates, with its lifecycle actions: delete
// (confirmed in a dialog), a personal kubeconfig, certificate check and renewal (confirmed), and
// the Day-2 node operations (day2.js): upgrade, scale and add pools, replace nodes.
import { API_BASE, ApiError, authHeaders, del, enc, errorFrom, get, post } from '../api.js';
import { badge, el, facts, link, orDash, page, replace, table, timeEl } from '../dom.js';
import { fmtBytes } from '../format.js';
import { actionButton, confirmDialog, problemBox, toggleForm } from '../forms.js';
import { filterForm, listQuery, pager, selectFilter, textFilter } from '../lists.js';
import { go, withQuery } from '../nav.js';
import { currentProject, newClusterProject, projectColumn, visibleProjects } from '../project-switch.js';
import { mayOperate, whoami } from '../session.js';
import { backupsSection } from './backups.js';
import { blockedNotice, poolControls, replaceControls, upgradeControl } from './day2.js';
import { clusterSchedulesSection } from './schedules.js';
import { newClusterForm } from './cluster-form.js';

const CLUSTER_PHASES = ['Pending', 'Provisioning', 'Ready', 'Degraded', 'Unreachable', 'Updating', 'Deleting', 'Failed', 'Deleted'];

export async function clustersView(ctx) {
  const params = ctx.params;
  const [reply, vcenters, versions, pools, ready, projects] = await Promise.all([
    get('/clusters' + listQuery(params, ['phase', 'vcenter']), ctx.signal),
    get('/vcenters', ctx.signal),
    get('/kubernetes-versions', ctx.signal),
    get('/ippools', ctx.signal),
    get('/clusters?phase=Ready&limit=200', ctx.signal),
    visibleProjects().catch(() => ({ all: true, names: [] })),
  ]);
  const project = params.get('project') || currentProject();
  const form = newClusterForm(vcenters.items, versions, pools.items, ready.items.filter(isKubeSphereHost),
    { names: projects.names, selected: newClusterProject(project, projects) });
  form.hidden = reply.items.length > 0 || Boolean(params.get('cursor')) || Boolean(params.get('phase'));
  return page('Clusters', [toggleForm('New cluster', form)], form,
    filterForm('/clusters', params, [
      selectFilter('Phase', 'phase', CLUSTER_PHASES, params.get('phase')),
      textFilter('vCenter', 'vcenter', params.get('vcenter'), { size: 10 }),
    ]),
    table([
      { title: 'Name', cell: (c) => link('/clusters/' + enc(c.name), c.name) },
      projectColumn(params),
      { title: 'vCenter', cell: (c) => c.vcenter },
      { title: 'Phase', cell: (c) => [badge(c.phase), c.phase_reason && el('div', { class: 'muted' }, c.phase_reason)] },
      { title: 'Kubernetes', cell: (c) => orDash(c.spec && c.spec.kubernetes_version) },
      { title: 'Nodes ready', class: 'num', cell: (c) => nodeCount(c.nodes) },
      { title: 'ClusterSet', cell: (c) => (c.clusterset ? link('/clustersets/' + enc(c.clusterset.name), c.clusterset.name) : '—') },
      { title: 'Created', cell: (c) => timeEl(c.created_at) },
    ], reply.items, 'No cluster matches.'),
    pager('/clusters', params, reply.next_cursor));
}

/** isKubeSphereHost is true for a cluster whose spec makes it a KubeSphere host. */
function isKubeSphereHost(c) {
  const ks = c.spec && c.spec.addons && c.spec.addons.kubesphere;
  return Boolean(ks && ks.enabled && ks.role === 'host');
}

/** kubesphereRole says what KubeSphere the cluster runs: a host, or a member of which host. */
function kubesphereRole(spec) {
  const ks = spec.addons && spec.addons.kubesphere;
  if (!ks || !ks.enabled) return null;
  if (ks.role === 'member') return ['member of ', link('/clusters/' + enc(ks.host), ks.host)];
  return 'host';
}

/** waitingNotice says that an operation of the cluster waits for a decision, and where. */
function waitingNotice(op) {
  const d = op.decision || {};
  return el('div', { class: 'alert warn', role: 'status' },
    el('strong', {}, 'Waiting for a decision. '),
    `${op.kind} stopped${d.step ? ` at step ${d.step}` : ''}${d.reason ? `: ${d.reason}` : ''}. `,
    link('/operations/' + enc(op.id), 'Open the operation to retry or cancel it'), '.');
}

function nodeCount(nodes) {
  const list = nodes || [];
  return `${list.filter((n) => n.ready).length} / ${list.length}`;
}

// One cluster: phase, placement, nodes, add-ons and a link to its operations; an operation
// of it that waits for a decision is announced at the top.
export async function clusterView(ctx, name) {
  const [c, waiting, certs, me, backups, ownSchedules, allSchedules] = await Promise.all([
    get('/clusters/' + enc(name), ctx.signal),
    get(`/operations?cluster=${enc(name)}&state=AwaitingDecision&limit=1`, ctx.signal).catch(() => null),
    get(`/clusters/${enc(name)}/certificates`, ctx.signal).catch(() => null),
    whoami(),
    get(`/clusters/${enc(name)}/backups?limit=20`, ctx.signal).catch(() => null),
    get(`/schedules?cluster=${enc(name)}&limit=50`, ctx.signal).catch(() => null),
    get('/schedules?cluster=*&limit=50', ctx.signal).catch(() => null),
  ]);
  const spec = c.spec || {};
  const placement = spec.placement || {};
  const cp = spec.control_plane || {};
  const notices = el('div', { class: 'notices' });
  const deletable = c.phase !== 'Deleted' && c.phase !== 'Deleting';
  const operator = mayOperate(me) && deletable;
  const pools = operator && poolControls(c);
  const replacing = operator && replaceControls(c);
  const poolColumns = [
    { title: 'Pool', cell: (p) => p.name },
    { title: 'Replicas', class: 'num', cell: (p) => p.replicas },
    { title: 'CPUs', class: 'num', cell: (p) => p.cpus },
    { title: 'Memory', class: 'num', cell: (p) => fmtBytes(p.memory_mib * 1024 * 1024) },
    { title: 'Disk', class: 'num', cell: (p) => fmtBytes(p.disk_gib * 1024 ** 3) },
  ];
  if (pools) poolColumns.push({ title: '', cell: (p) => (p.controlPlane ? el('span', { class: 'muted' }, 'replace its nodes') : pools.scale(p)) });
  const nodeColumns = [
    { title: 'Name', cell: (n) => n.name },
    { title: 'Role', cell: (n) => n.role },
    { title: 'Pool', cell: (n) => orDash(n.pool) },
    { title: 'IP', cell: (n) => orDash(n.ip) },
    { title: 'VM', cell: (n) => (n.vm ? el('code', {}, n.vm) : '—') },
    { title: 'Kubelet', cell: (n) => orDash(n.kubelet_version) },
    { title: 'Ready', cell: (n) => badge(n.ready ? 'Ready' : 'NotReady') },
  ];
  if (replacing) nodeColumns.push({ title: '', cell: (n) => replacing.replace(n) });
  return page(`Cluster ${c.name}`, [link(withQuery('/operations', { cluster: c.name }), 'Operations →'),
    kubeconfigButton(c.name, notices), deletable && deleteButton(c.name, notices)],
    notices,
    waiting && waiting.items && waiting.items.length > 0 && waitingNotice(waiting.items[0]),
    facts([
      ['Phase', [badge(c.phase), c.phase_reason && ` ${c.phase_reason}`]],
      ['Project', c.project && link('/projects/' + enc(c.project), c.project)],
      ['vCenter', link('/vcenters/' + enc(c.vcenter), c.vcenter)],
      ['Kubernetes', [spec.kubernetes_version, operator && [' ', upgradeControl(c)]]],
      ['API endpoint', c.control_plane_endpoint && [el('code', {}, c.control_plane_endpoint), ` ${endpointKind(c)}`]],
      ['ClusterSet', c.clusterset && [link('/clustersets/' + enc(c.clusterset.name), c.clusterset.name),
        c.clusterset.leader ? ' (leader)' : ' (member)']],
      ['KubeSphere', kubesphereRole(spec)],
      ['Certificates expire', timeEl(c.certificate_expiry)],
      ['Created', [timeEl(c.created_at), c.created_by && ` by ${c.created_by}`]],
      ['Updated', timeEl(c.updated_at)],
    ]),
    el('h2', {}, 'Placement'),
    facts([
      ['Datacenter', placement.datacenter], ['Compute cluster', placement.compute_cluster],
      ['Resource pool', placement.resource_pool], ['Folder', placement.folder],
      ['Datastore', placement.datastore], ['Network', placement.network], ['Template', placement.template],
      ['IP pool', spec.network && spec.network.ip_pool && link('/ippools/' + enc(spec.network.ip_pool), spec.network.ip_pool)],
    ]),
    el('section', { id: 'pools' },
      el('h2', {}, 'Node pools'),
      operator && blockedNotice(c),
      table(poolColumns, [Object.assign({ name: 'control plane', controlPlane: true }, cp)].concat(spec.worker_pools || [])),
      pools && el('div', { class: 'actions' }, pools.add),
      pools && pools.dialogs),
    el('section', { id: 'nodes' },
      el('h2', {}, `Nodes (${nodeCount(c.nodes)} ready)`),
      table(nodeColumns, c.nodes, 'No node yet.'),
      replacing && replacing.dialog),
    el('h2', {}, 'Add-ons'),
    table([
      { title: 'Name', cell: (a) => a.name },
      { title: 'Chart version', cell: (a) => orDash(a.chart_version) },
      { title: 'Status', cell: (a) => badge(a.status) },
    ], c.addons, 'No add-on installed yet.'),
    certificatesSection(c, certs, mayOperate(me)),
    backupsSection(c, backups, mayOperate(me), !me || !me.role || me.role === 'admin'),
    clusterSchedulesSection(c, ownSchedules, allSchedules));
}

/** LOW_DAYS is where days left turn red. */
const LOW_DAYS = 30;

/** certificatesSection lists the certificates the last check recorded, days left in red
 *  under LOW_DAYS, with Check now and Renew (confirmed) for operators of a Ready cluster. */
function certificatesSection(c, certs, operator) {
  const notices = el('div', { class: 'notices' });
  const list = (certs && certs.certificates) || [];
  const ready = c.phase === 'Ready';
  const actions = operator && ready && el('div', { class: 'actions' },
    actionButton('Check now', '', notices, async () => {
      const reply = await post(`/clusters/${enc(c.name)}/certificates/check`);
      go('/operations/' + enc(reply.operation.id));
    }),
    renewButton(c.name, notices));
  return el('section', { id: 'certificates' },
    el('h2', {}, 'Certificates'),
    el('p', { class: 'muted' }, certs && certs.checked_at
      ? ['Checked ', timeEl(certs.checked_at), '. Renewal renews every control-plane certificate (not the CAs), one node at a time.']
      : 'Not checked yet.'),
    actions, notices,
    table([
      { title: 'Node', cell: (x) => orDash(x.node) },
      { title: 'Name', cell: (x) => (x.authority ? [x.name, el('span', { class: 'muted' }, ' (CA)')] : x.name) },
      { title: 'Expires', cell: (x) => timeEl(x.not_after) },
      { title: 'Days left', class: 'num', cell: (x) => el('span', { class: x.days_left < LOW_DAYS ? 'error-text days-low' : 'days' }, String(x.days_left)) },
      { title: 'CA', cell: (x) => orDash(x.ca_name) },
      { title: 'Source', cell: (x) => x.source },
    ], list, 'No certificate recorded yet.'));
}

/** renewButton confirms and starts a certificate renewal; a 409 names the operation that
 *  keeps the cluster busy. */
function renewButton(name, notices) {
  const { dialog, open } = confirmDialog({
    id: 'renew',
    title: `Renew the certificates of ${name}?`,
    body: el('p', {}, 'Each control-plane node renews its certificates and restarts its control plane, one node at a time; ' +
      "the service's own kubeconfig is re-issued. The cluster is Updating meanwhile."),
    keep: 'Not now',
    confirm: 'Renew certificates',
    onConfirm: async () => {
      replace(notices);
      try {
        const reply = await post(`/clusters/${enc(name)}/certificates/renew`);
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        replace(notices, err instanceof ApiError && err.status === 409 && err.problem.operation
          ? el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, `Cluster ${name} is busy. `),
            'Another operation of it is running: ', link('/operations/' + enc(err.problem.operation), err.problem.operation), '.')
          : problemBox(err));
      }
    },
  });
  return [el('button', { type: 'button', onclick: open }, 'Renew…'), dialog];
}

/** deleteButton opens a dialog that confirms the deletion and asks whether the vSphere
 *  volumes go too; a 409 names the operation that keeps the cluster busy. */
function deleteButton(name, notices) {
  const volumes = el('input', { id: 'delete-volumes', type: 'checkbox' });
  const { dialog, open } = confirmDialog({
    id: 'delete',
    title: `Delete cluster ${name}?`,
    body: [
      el('p', {}, 'Every VM, IP lease and record of the cluster is removed. This cannot be undone.'),
      el('div', { class: 'field check' }, volumes,
        el('label', { for: 'delete-volumes' }, 'Also delete its vSphere volumes (the persistent volumes its CSI driver made)')),
    ],
    keep: 'Keep it',
    confirm: 'Delete cluster',
    onConfirm: async () => {
      replace(notices);
      try {
        const reply = await del('/clusters/' + enc(name) + (volumes.checked ? '?delete_volumes=true' : ''));
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        replace(notices, err instanceof ApiError && err.status === 409 && err.problem.operation
          ? el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, `Cluster ${name} is busy. `),
            'Another operation of it is running: ',
            link('/operations/' + enc(err.problem.operation), err.problem.operation),
            '. Wait for it to end or cancel it, then delete again.')
          : problemBox(err));
      }
    },
  });
  const button = el('button', { type: 'button', class: 'danger', onclick: () => {
    volumes.checked = false;
    open();
  } }, 'Delete…');
  return [button, dialog];
}

/** kubeconfigButton downloads a personal kubeconfig as <name>.kubeconfig, valid for the
 *  lifetime chosen beside it: every role may, and its rights in the cluster follow the
 *  role (viewers read only). The YAML goes from the reply into a Blob and out through a
 *  download link; it never enters the page. */
function kubeconfigButton(name, notices) {
  const ttl = el('select', { 'aria-label': 'Kubeconfig lifetime', name: 'ttl' },
    ['1h', '8h', '24h'].map((v) => el('option', { value: v, selected: v === '8h' }, `valid ${v}`)));
  const button = actionButton('Download kubeconfig', '', notices, async () => {
    const res = await fetch(`${API_BASE}/clusters/${enc(name)}/kubeconfig?ttl=${enc(ttl.value)}`,
      { headers: authHeaders('application/yaml', 'GET'), cache: 'no-store' });
    if (!res.ok) throw await errorFrom(res);
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: `${name}.kubeconfig`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    replace(notices, el('p', { class: 'alert info' },
      `Saved ${name}.kubeconfig, yours alone, valid for ${ttl.value}, with your role's rights in the cluster. Keep it safe.`));
  });
  return [ttl, button];
}

/** endpointKind says what serves a cluster's API endpoint: the control-plane virtual IP that
 *  kube-vip moves among the control planes, or (a cluster made before the VIP) the address of
 *  one control plane, whose loss takes the endpoint with it. */
export function endpointKind(c) {
  const host = (c.control_plane_endpoint || '').replace(/^\[?([^\]]*?)\]?:\d+$/, '$1');
  const node = (c.nodes || []).find((n) => n.ip === host);
  return node ? `(control plane ${node.name}'s address)` : '(virtual IP, kube-vip on the control planes)';
}
