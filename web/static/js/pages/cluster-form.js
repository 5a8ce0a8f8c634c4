// New cluster: a form whose inputs are named by the API's field paths ("control_plane.cpus",
// "worker_pools[0].replicas"), so that the body is built from the names and each field
// error of a 400/422 lands next to the input it names.
import { enc, get, post } from '../api.js';
import { el, replace, timeEl } from '../dom.js';
import { fmtBytes } from '../format.js';
import { checkbox, errorSlot, field, numberField, problemBox, selectField, setChoices, setPath, submitForm } from '../forms.js';
import { go } from '../nav.js';

const NODE_DEFAULTS = { cpus: 4, memory_mib: 8192, disk_gib: 60 };
const NODE_MINIMUMS = { cpus: 2, memory_mib: 4096, disk_gib: 40 };

/** placementChoices lists the inventory objects of datacenter dc (only those below the
 *  path within, when given) as [value, label] pairs. The value is the object's name when
 *  no other object of that kind in the datacenter has it, otherwise its full inventory
 *  path, so that it names exactly one object as the API requires. */
export function placementChoices(objects, dc, within, label) {
  const inDC = (objects || []).filter((o) => o.datacenter === dc);
  return inDC.filter((o) => !within || o.path.startsWith(within + '/')).map((o) => {
    const value = inDC.filter((x) => x.name === o.name).length === 1 ? o.name : o.path;
    return [value, label ? label(o, value) : value];
  });
}

/** specFromForm builds the request body from the form's named inputs: checkboxes as
 *  booleans, number inputs (and selects marked data-type=number) as numbers (left out
 *  when empty, so the API names them), everything else as trimmed text, left out when
 *  empty if the input is marked data-optional (the server's default applies). */
function specFromForm(form) {
  const spec = {};
  for (const input of form.querySelectorAll('input[name], select[name]')) {
    if ('optional' in input.dataset && input.value.trim() === '') continue;
    if (input.type === 'checkbox') setPath(spec, input.name, input.checked);
    else if (input.type === 'number' || input.dataset.type === 'number') {
      if (input.value !== '') setPath(spec, input.name, Number(input.value));
    } else setPath(spec, input.name, input.value.trim());
  }
  return spec;
}

/** newClusterForm posts a cluster spec and opens the provisioning operation. kubesphereHosts
 *  are the Ready clusters that are KubeSphere hosts, which a member may register with;
 *  projects ({names, selected}) are the projects the cluster may go in, and the one
 *  proposed. */
export function newClusterForm(vcenters, versions, pools, kubesphereHosts, projects) {
  const projectNames = projects && projects.names.length ? projects.names : [(projects && projects.selected) || 'default'];
  const placement = placementFields();
  const workers = workerPools();
  const form = el('form', { class: 'card cluster-form', novalidate: true },
    el('h2', {}, 'New cluster'),
    el('fieldset', {}, el('legend', {}, 'Cluster'),
      el('div', { class: 'grid' },
        field('Name', 'name', { placeholder: 'dev-east', required: true, autocomplete: 'off' }, 'lower-case letters, digits and dashes'),
        selectField('Project', 'project', projectNames.map((n) => [n, n]), projects && projects.selected,
          "its quotas and members apply; the top bar's project is proposed"),
        selectField('vCenter', 'vcenter', [['', vcenters.length ? 'choose…' : 'no vCenter registered']].concat(vcenters.map((v) => [v.name, v.name]))),
        selectField('Kubernetes version', 'kubernetes_version',
          versions.versions.map((v) => [v, v === versions.default ? `${v} (default)` : v]), versions.default))),
    placement.node,
    el('fieldset', {}, el('legend', {}, 'Control plane'),
      el('div', { class: 'grid' },
        selectField('Replicas', 'control_plane.replicas', [1, 3, 5, 7].map((n) => [String(n), String(n)]), '1', 'odd, so that etcd keeps a majority'),
        numberField('vCPUs', 'control_plane.cpus', NODE_DEFAULTS.cpus, NODE_MINIMUMS.cpus, 'at least 2'),
        numberField('Memory (MiB)', 'control_plane.memory_mib', NODE_DEFAULTS.memory_mib, NODE_MINIMUMS.memory_mib, 'at least 4096'),
        numberField('Disk (GiB)', 'control_plane.disk_gib', NODE_DEFAULTS.disk_gib, NODE_MINIMUMS.disk_gib, 'at least 40'))),
    workers.node,
    el('fieldset', {}, el('legend', {}, 'Network'),
      el('div', { class: 'grid' },
        selectField('IP pool', 'network.ip_pool', [['', pools.length ? 'choose…' : 'no IP pool yet']].concat(
          pools.map((p) => [p.name, `${p.name} (${p.cidr}, ${p.free} free)`])), undefined, 'node addresses are leased from it'),
        field('Pod CIDR', 'network.pod_cidr', { value: '10.244.0.0/16' }),
        field('Service CIDR', 'network.service_cidr', { value: '10.96.0.0/12' }),
        field('Control-plane virtual IP', 'network.control_plane_endpoint', { placeholder: 'leased from the pool', autocomplete: 'off' },
          'the API endpoint, served by kube-vip on the control planes; empty: one address of the pool')),
      errorSlot('network')),
    el('fieldset', {}, el('legend', {}, 'Add-ons'),
      el('div', { class: 'grid' },
        checkbox('Antrea Multi-cluster (for ClusterSets)', 'addons.antrea.multicluster'),
        selectField('Antrea traffic encryption', 'addons.antrea.traffic_encryption', ['none', 'ipsec', 'wireguard'].map((m) => [m, m]), 'none'),
        field('CSI storage policy', 'addons.vsphere_csi.storage_policy', { placeholder: 'vSAN Default Storage Policy' }, 'empty for none'),
        checkbox('CSI StorageClass is the default class', 'addons.vsphere_csi.default_class'),
        checkbox('Install KubeSphere', 'addons.kubesphere.enabled'),
        selectField('KubeSphere role', 'addons.kubesphere.role', [['host', 'host'], ['member', 'member']], 'host'),
        selectField('KubeSphere host', 'addons.kubesphere.host', [['', (kubesphereHosts || []).length ? '— (role host)' : 'no Ready KubeSphere host']].concat(
          (kubesphereHosts || []).map((c) => [c.name, c.name])), '', 'for role member: the host cluster it registers with')),
      errorSlot('addons')),
    el('fieldset', {}, el('legend', {}, 'When a step fails'),
      el('div', { class: 'grid' },
        selectField('On failure', 'on_failure', [['', 'wait for a decision'], ['compensate', 'undo at once']], '',
          'waiting keeps what is done until a person retries the step or cancels'),
        field('Decision timeout', 'decision_timeout', { placeholder: '24h', autocomplete: 'off' },
          "how long to wait, e.g. 30m or 8h (1s to 720h); empty for the server's default; then it is undone"))),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Create cluster')));
  form.querySelector('[name="addons.vsphere_csi.default_class"]').checked = true;
  form.querySelector('[name="control_plane.replicas"]').dataset.type = 'number';
  form.querySelector('[name=on_failure]').dataset.optional = '';
  form.querySelector('[name=decision_timeout]').dataset.optional = '';
  form.querySelector('[name="addons.kubesphere.host"]').dataset.optional = '';
  form.querySelector('[name="network.control_plane_endpoint"]').dataset.optional = '';
  const vcenter = form.querySelector('[name=vcenter]');
  vcenter.addEventListener('change', () => placement.load(vcenter.value));
  if (vcenters.length === 1) {
    vcenter.value = vcenters[0].name;
    placement.load(vcenter.value);
  }
  workers.add('default');
  return submitForm(form, () => post('/clusters', specFromForm(form)), (reply) => go('/operations/' + enc(reply.operation.id)));
}

/** placementFields are the placement selects, filled from the chosen vCenter's recorded
 *  inventory: the datacenter narrows every other list, the compute cluster the resource pools. */
function placementFields() {
  const none = [['', '—']];
  const note = el('div', { class: 'muted' }, 'Choose a vCenter to see its inventory.');
  const fields = {
    datacenter: selectField('Datacenter', 'placement.datacenter', none),
    compute_cluster: selectField('Compute cluster', 'placement.compute_cluster', none),
    resource_pool: selectField('Resource pool', 'placement.resource_pool', none, undefined, 'optional'),
    folder: selectField('VM folder', 'placement.folder', none, undefined, 'optional'),
    datastore: selectField('Datastore', 'placement.datastore', none),
    network: selectField('Network', 'placement.network', none),
    template: selectField('Template', 'placement.template', none, undefined, 'Linux, hardware version 15 or later'),
  };
  const select = (key) => fields[key].querySelector('select');
  let inventory = null;
  const objectOf = (list, dc, name) => (inventory[list] || []).find((o) => o.datacenter === dc && (o.name === name || o.path === name));
  function fillPools() {
    const dc = select('datacenter').value;
    const cc = inventory && objectOf('compute_clusters', dc, select('compute_cluster').value);
    setChoices(select('resource_pool'), [['', "the compute cluster's root pool"]].concat(
      cc ? belowPath(inventory.resource_pools, dc, cc.path) : []));
  }
  function fillDatacenter() {
    const dc = select('datacenter').value;
    const dcObj = (inventory.datacenters || []).find((d) => d.name === dc);
    const choose = (list) => [['', 'choose…']].concat(list);
    setChoices(select('compute_cluster'), choose(placementChoices(inventory.compute_clusters, dc)));
    setChoices(select('folder'), [['', "the datacenter's VM folder"]].concat(
      dcObj ? belowPath(inventory.folders, dc, dcObj.path + '/vm') : []));
    setChoices(select('datastore'), choose(placementChoices(inventory.datastores, dc, '', (o, v) =>
      (o.datastore ? `${v} (${fmtBytes(o.datastore.free_bytes)} free)` : v))));
    setChoices(select('network'), choose(placementChoices(inventory.networks, dc)));
    setChoices(select('template'), choose(placementChoices(inventory.templates, dc, '', (o, v) =>
      (o.template && o.template.hardware_version ? `${v} (vmx-${o.template.hardware_version})` : v))));
    fillPools();
  }
  select('datacenter').addEventListener('change', fillDatacenter);
  select('compute_cluster').addEventListener('change', fillPools);
  async function load(name) {
    inventory = null;
    replace(note, name ? 'Loading the inventory…' : 'Choose a vCenter to see its inventory.');
    for (const key of Object.keys(fields)) setChoices(select(key), none);
    if (!name) return;
    try {
      const inv = await get(`/vcenters/${enc(name)}/inventory`);
      if (document.querySelector('[name=vcenter]') && document.querySelector('[name=vcenter]').value !== name) return;
      inventory = inv;
      const dcs = inv.datacenters || [];
      replace(note, dcs.length ? ['Inventory synced ', timeEl(inv.synced_at), '.'] : 'The inventory is empty: sync the vCenter first.');
      setChoices(select('datacenter'), dcs.map((d) => [d.name, d.name]), dcs.length ? dcs[0].name : '');
      fillDatacenter();
    } catch (err) {
      replace(note, problemBox(err));
    }
  }
  const node = el('fieldset', {}, el('legend', {}, 'Placement'), note,
    el('div', { class: 'grid' }, Object.values(fields)), errorSlot('placement'));
  return { node, load };
}

/** belowPath offers the objects below an inventory path by their full path (a relative
 *  one would be read below the root pool or VM folder), labelled relative to it. */
function belowPath(objects, dc, path) {
  return (objects || []).filter((o) => o.datacenter === dc && o.path.startsWith(path + '/'))
    .map((o) => [o.path, o.path.slice(path.length + 1)]);
}

/** workerPools is the list of worker pool inputs with Add and Remove buttons; the inputs
 *  are renumbered after a removal so their names match the array the API receives. */
function workerPools() {
  const list = el('div', { class: 'pools' });
  function renumber() {
    [...list.children].forEach((pool, i) => {
      pool.querySelector('legend').textContent = `Worker pool ${i + 1}`;
      pool.querySelector('.slot').dataset.field = `worker_pools[${i}]`;
      for (const slot of pool.querySelectorAll('.field[data-key]')) {
        const name = `worker_pools[${i}].${slot.dataset.key}`;
        slot.dataset.field = name;
        slot.querySelector('label').htmlFor = 'f-' + name;
        Object.assign(slot.querySelector('input'), { id: 'f-' + name, name });
      }
    });
  }
  function add(name) {
    const keyed = (key, node) => {
      node.dataset.key = key;
      return node;
    };
    const pool = el('fieldset', { class: 'pool' }, el('legend', {}),
      el('div', { class: 'grid' },
        keyed('name', field('Pool name', 'pool-name', { value: name || '', required: true })),
        keyed('replicas', numberField('Replicas', 'pool-replicas', 2, 0, '0 to 500')),
        keyed('cpus', numberField('vCPUs', 'pool-cpus', NODE_DEFAULTS.cpus, NODE_MINIMUMS.cpus, 'at least 2')),
        keyed('memory_mib', numberField('Memory (MiB)', 'pool-memory', NODE_DEFAULTS.memory_mib, NODE_MINIMUMS.memory_mib, 'at least 4096')),
        keyed('disk_gib', numberField('Disk (GiB)', 'pool-disk', NODE_DEFAULTS.disk_gib, NODE_MINIMUMS.disk_gib, 'at least 40'))),
      errorSlot(''),
      el('div', { class: 'actions' }, el('button', { type: 'button', class: 'small', onclick: () => { pool.remove(); renumber(); } }, 'Remove pool')));
    list.append(pool);
    renumber();
  }
  const node = el('fieldset', {}, el('legend', {}, 'Worker pools'),
    list, errorSlot('worker_pools'),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => add('') }, 'Add worker pool')),
    el('small', { class: 'hint' }, 'No pool makes a control-plane-only cluster.'));
  return { node, add };
}
