// vCenters: the registered vCenters with a Sync button each and the registration form;
// one vCenter's details and its inventory grouped by kind.
import { enc, get, post, request } from '../api.js';
import { el, facts, link, orDash, page, table, timeEl } from '../dom.js';
import { fmtBytes } from '../format.js';
import { actionButton, checkbox, field, problemBox, submitForm, toggleForm } from '../forms.js';
import { go, withQuery } from '../nav.js';

const MIN_HARDWARE_VERSION = 15; // vSphere CSI needs VM hardware version 15 or later

export async function vcentersView(ctx) {
  const { items } = await get('/vcenters', ctx.signal);
  const notices = el('div', { class: 'notices' });
  const form = registerVCenterForm();
  form.hidden = items.length > 0;
  return page('vCenters', [toggleForm('Register vCenter', form)], notices, form,
    table([
      { title: 'Name', cell: (v) => link('/vcenters/' + enc(v.name), v.name) },
      { title: 'Server', cell: (v) => el('code', {}, v.server) },
      { title: 'User', cell: (v) => v.username },
      { title: 'Cluster account', cell: (v) => (v.cluster_credentials ? v.cluster_credentials.username
        : el('span', { class: 'error-text', title: (v.warnings || []).join(' ') }, v.share_service_account_with_clusters ? 'shares the service account' : 'none')) },
      { title: 'TLS', cell: (v) => (v.insecure ? 'insecure' : v.thumbprint ? 'pinned thumbprint' : 'verified') },
      { title: 'Last sync', cell: (v) => [timeEl(v.synced_at), v.sync_error && el('div', { class: 'error-text' }, v.sync_error)] },
      { title: '', class: 'right', cell: (v) => syncButton(v.name, notices) },
    ], items, 'No vCenter is registered yet. Register one to get started.'));
}

/** syncButton starts an inventory sync and opens its operation. */
function syncButton(name, notices) {
  return actionButton('Sync', 'small', notices, async () => {
    const reply = await post(`/vcenters/${enc(name)}/sync`);
    go('/operations/' + enc(reply.operation.id));
  });
}

/** registerVCenterForm posts to /vcenters; the server checks the credentials first. */
function registerVCenterForm() {
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', {}, 'Register a vCenter'),
    el('div', { class: 'grid' },
      field('Name', 'name', { placeholder: 'vc1', required: true }),
      field('Server', 'server', { placeholder: 'vcenter.example.com', required: true }, 'host, host:port or https://host/sdk'),
      field('User name', 'username', { autocomplete: 'off', required: true }),
      field('Password', 'password', { type: 'password', autocomplete: 'new-password', required: true }),
      field('Certificate thumbprint', 'thumbprint', { placeholder: 'AB:CD:…' }, 'SHA-1 or SHA-256, colon-separated hex'),
      checkbox('Skip certificate verification (insecure)', 'insecure')),
    el('h3', {}, 'Account for the clusters'),
    el('p', { class: 'muted' }, "The clusters' vSphere CPI and CSI drivers get this least-privileged account (CNS roles, no VM provisioning)."),
    el('div', { class: 'grid' },
      field('Cluster user name', 'cluster_credentials.username', { autocomplete: 'off', placeholder: 'k8s-csi@vsphere.local' }),
      field('Cluster password', 'cluster_credentials.password', { type: 'password', autocomplete: 'new-password' }),
      checkbox('No cluster account: give clusters the service account (unsafe)', 'share_service_account_with_clusters')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Register')));
  return submitForm(form, (v) => post('/vcenters', withClusterAccount(v)), (reply) => go('/operations/' + enc(reply.operation.id)));
}

/** withClusterAccount nests the cluster account's fields of a form's values, leaving
 *  them out when both are empty. */
function withClusterAccount(v) {
  const out = { ...v };
  const username = out['cluster_credentials.username'];
  const password = out['cluster_credentials.password'];
  delete out['cluster_credentials.username'];
  delete out['cluster_credentials.password'];
  if (username || password) out.cluster_credentials = { username, password };
  return out;
}

/** updateCredentialsForm PATCHes the vCenter's passwords; the server checks them first
 *  and starts the operation that updates every cluster's vSphere Secrets. */
function updateCredentialsForm(vc) {
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', {}, 'Update credentials'),
    el('div', { class: 'grid' },
      field('Service account password', 'password', { type: 'password', autocomplete: 'new-password' }, 'leave empty to keep'),
      field('Cluster user name', 'cluster_credentials.username',
        { autocomplete: 'off', placeholder: vc.cluster_credentials ? vc.cluster_credentials.username : 'k8s-csi@vsphere.local' }, 'leave empty to keep'),
      field('Cluster password', 'cluster_credentials.password', { type: 'password', autocomplete: 'new-password' })),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Update')));
  return submitForm(form, (v) => {
    const body = withClusterAccount(v);
    if (!body.password) delete body.password;
    if (body.cluster_credentials && !body.cluster_credentials.username) delete body.cluster_credentials.username;
    return request('PATCH', '/vcenters/' + enc(vc.name), body);
  }, (reply) => go('/operations/' + enc(reply.operation.id)));
}

// One vCenter: its details, a Sync button, and its inventory grouped by kind.
export async function vcenterView(ctx, name) {
  const [vc, inventory] = await Promise.all([
    get('/vcenters/' + enc(name), ctx.signal),
    get(`/vcenters/${enc(name)}/inventory`, ctx.signal).catch((err) => err),
  ]);
  const notices = el('div', { class: 'notices' });
  const warnings = (vc.warnings || []).map((w) => el('div', { class: 'notice warning vcenter-warning' }, w));
  const update = updateCredentialsForm(vc);
  update.hidden = true;
  return page(`vCenter ${vc.name}`, [syncButton(vc.name, notices), toggleForm('Update credentials', update)], notices, warnings, update,
    facts([
      ['Server', el('code', {}, vc.server)],
      ['User', vc.username],
      ['Cluster account', vc.cluster_credentials ? vc.cluster_credentials.username
        : vc.share_service_account_with_clusters ? 'the service account (shared)' : 'none'],
      ['Insecure', vc.insecure ? 'yes' : 'no'],
      ['Thumbprint', vc.thumbprint && el('code', {}, vc.thumbprint)],
      ['Registered', timeEl(vc.created_at)],
      ['Last sync', timeEl(vc.synced_at)],
      ['Sync error', vc.sync_error && el('span', { class: 'error-text' }, vc.sync_error)],
      ['Operations', link(withQuery('/operations', { kind: 'vcenter.sync' }), 'inventory syncs')],
    ]),
    el('h2', {}, 'Inventory'),
    inventory instanceof Error ? problemBox(inventory) : inventorySections(inventory));
}

const nameCol = { title: 'Name', cell: (o) => o.name };
const dcCol = { title: 'Datacenter', cell: (o) => orDash(o.datacenter) };
const pathCol = { title: 'Path', cell: (o) => el('code', {}, o.path) };

/** The inventory reply's groups, in its order, with the columns each kind has. */
const INVENTORY_GROUPS = [
  ['datacenters', 'Datacenters', [nameCol, pathCol]],
  ['compute_clusters', 'Compute clusters', [nameCol, dcCol,
    { title: 'Hosts', class: 'num', cell: (o) => o.compute && o.compute.hosts },
    { title: 'CPU', class: 'num', cell: (o) => o.compute && `${(o.compute.cpu_mhz / 1000).toFixed(1)} GHz` },
    { title: 'Memory', class: 'num', cell: (o) => o.compute && fmtBytes(o.compute.memory_bytes) }]],
  ['hosts', 'Hosts', [nameCol, dcCol,
    { title: 'CPU', class: 'num', cell: (o) => o.compute && `${(o.compute.cpu_mhz / 1000).toFixed(1)} GHz` },
    { title: 'Memory', class: 'num', cell: (o) => o.compute && fmtBytes(o.compute.memory_bytes) }]],
  ['resource_pools', 'Resource pools', [nameCol, dcCol, pathCol]],
  ['folders', 'Folders', [nameCol, dcCol, pathCol]],
  ['datastores', 'Datastores', [nameCol, dcCol,
    { title: 'Type', cell: (o) => o.datastore && o.datastore.type },
    { title: 'Capacity', class: 'num', cell: (o) => o.datastore && fmtBytes(o.datastore.capacity_bytes) },
    { title: 'Free', class: 'num', cell: (o) => o.datastore && fmtBytes(o.datastore.free_bytes) },
    { title: 'Used', cell: (o) => o.datastore && usageMeter(o.datastore) },
    { title: 'Accessible', cell: (o) => o.datastore && (o.datastore.accessible ? 'yes' : el('span', { class: 'error-text' }, 'no')) }]],
  ['networks', 'Networks', [nameCol, dcCol, { title: 'Type', cell: (o) => o.network && o.network.type }]],
  ['templates', 'Templates', [nameCol, dcCol,
    { title: 'Guest OS', cell: (o) => o.template && (o.template.guest_full_name || o.template.guest_id) },
    { title: 'Hardware', cell: (o) => o.template && hardwareVersion(o.template.hardware_version) },
    { title: 'CPUs', class: 'num', cell: (o) => o.template && o.template.cpus },
    { title: 'Memory', class: 'num', cell: (o) => o.template && fmtBytes(o.template.memory_mib * 1024 * 1024) },
    { title: 'Disk', class: 'num', cell: (o) => o.template && fmtBytes(o.template.disk_gib * 1024 ** 3) }]],
];

/** inventorySections shows each kind of inventory object as a collapsible table. */
function inventorySections(inventory) {
  return [
    el('p', { class: 'muted' }, 'Synced ', timeEl(inventory.synced_at), '.'),
    INVENTORY_GROUPS.map(([key, title, columns]) => {
      const objects = inventory[key] || [];
      return el('details', { class: 'inventory', open: objects.length > 0 },
        el('summary', {}, `${title} (${objects.length})`),
        table(columns, objects, `No ${title.toLowerCase()}.`));
    }),
  ];
}

function usageMeter(ds) {
  const cap = ds.capacity_bytes || 0;
  const used = Math.max(0, cap - (ds.free_bytes || 0));
  const pct = cap ? Math.round((used / cap) * 100) : 0;
  return el('span', { class: 'usage' },
    el('meter', { min: 0, max: cap || 1, value: used, low: cap * 0.7, high: cap * 0.9, optimum: 0 }), ` ${pct}%`);
}

function hardwareVersion(v) {
  if (!v) return '—';
  return [`vmx-${v}`, v < MIN_HARDWARE_VERSION && el('span', { class: 'badge state-failed', title: 'vSphere CSI needs hardware version 15 or later' }, 'too old')];
}
