// The Day-2 node operations of one cluster, for its page: Upgrade (to one of the versions
// GET /clusters/{name} lists as upgrade_targets), Scale per worker pool and Add pool, and
// Replace per node. Each asks in a dialog, posts, and opens the operation it started,
// whose page follows it live. Only operators and admins get them; they are disabled, with
// the reason, while the cluster is not Ready or Degraded or is busy with an operation.
import { enc, post } from '../api.js';
import { el, link } from '../dom.js';
import { checkbox, field, formDialog, selectField } from '../forms.js';
import { go } from '../nav.js';

/** DAY2_PHASES are the phases in which the server starts these operations. */
const DAY2_PHASES = ['Ready', 'Degraded'];

/** blockedReason says why the cluster's nodes cannot be changed now, or ''. */
export function blockedReason(c) {
  if (c.operation) return `Cluster ${c.name} is busy with ${c.operation.kind} (${c.operation.state}).`;
  if (!DAY2_PHASES.includes(c.phase)) return `Cluster ${c.name} is ${c.phase}: its nodes are changed when it is Ready or Degraded.`;
  return '';
}

/** upgradeReason says why the cluster cannot be upgraded now, or ''. */
export function upgradeReason(c) {
  const blocked = blockedReason(c);
  if (blocked) return blocked;
  if (!(c.upgrade_targets || []).length) {
    return `${(c.spec && c.spec.kubernetes_version) || 'Its version'} is the newest version it can run: there is nothing to upgrade to.`;
  }
  return '';
}

/** opened navigates to the operation a 202 reply started. */
function opened(reply) {
  go('/operations/' + enc(reply.operation.id));
}

/** number is a form value as a whole number, or undefined when empty (the server then
 *  names the field when it is required). */
function number(v) {
  return v === '' || v === undefined ? undefined : Number(v);
}

/** orUndefined is a form value, or undefined when empty (left out of the request). */
function orUndefined(v) {
  return v === '' ? undefined : v;
}

/** numberInput is a whole-number field with an id of its dialog's. */
function numberInput(prefix, label, name, value, min, hint) {
  return field(label, name, { id: `${prefix}-${name}`, type: 'number', step: 1, min, value }, hint);
}

/** drainField is the drain timeout of a dialog. */
function drainField(prefix, what) {
  return field('Drain timeout', 'drain_timeout', { id: `${prefix}-drain_timeout`, placeholder: '10m', size: 8 },
    `How long draining ${what} may wait for PodDisruptionBudgets, e.g. 10m (the default) or 1h.`);
}

/** disabledButton is a button that says why it cannot be pressed. */
function disabledButton(label, reason, cls) {
  return el('button', { type: 'button', class: cls, disabled: true, title: reason, 'aria-disabled': 'true' }, label);
}

/** upgradeControl is the Upgrade… button of cluster c with its dialog, or, when c cannot
 *  be upgraded now, the disabled button and the reason beside it. */
export function upgradeControl(c) {
  const reason = upgradeReason(c);
  if (reason) return el('span', { class: 'day2-upgrade' }, disabledButton('Upgrade…', reason, 'small'), ' ', el('span', { class: 'muted reason' }, reason));
  const targets = c.upgrade_targets;
  const backup = checkbox('Take an etcd backup first', 'backup');
  const { dialog, open } = formDialog({
    id: 'upgrade',
    title: `Upgrade ${c.name}`,
    body: [
      el('p', {}, `The control-plane nodes are upgraded one at a time, then the workers, each drained first. ` +
        `Kubernetes upgrades one minor version at a time; ${c.name} runs ${c.spec.kubernetes_version}.`),
      selectField('Kubernetes version', 'kubernetes_version', targets.map((v) => [v, v]), targets[targets.length - 1]),
      backup,
      numberInput('upgrade', 'Workers at a time', 'max_unavailable', 1, 1, 'How many workers are drained and upgraded together.'),
      drainField('upgrade', 'a node'),
    ],
    submit: 'Start upgrade',
    send: (v) => post(`/clusters/${enc(c.name)}/upgrade`, {
      kubernetes_version: v.kubernetes_version, backup: v.backup,
      max_unavailable: number(v.max_unavailable), drain_timeout: orUndefined(v.drain_timeout),
    }),
    done: opened,
  });
  const box = backup.querySelector('input');
  const button = el('button', { type: 'button', class: 'small', onclick: () => {
    box.checked = true;
    open();
  } }, 'Upgrade…');
  return el('span', { class: 'day2-upgrade' }, button, dialog);
}

/** poolControls are the Scale… button of each worker pool and the Add pool… button of
 *  cluster c, sharing one dialog each. scale(pool) is the cell of a pool's row. */
export function poolControls(c) {
  const reason = blockedReason(c);
  const pools = (c.spec && c.spec.worker_pools) || [];
  if (reason) {
    return {
      scale: () => disabledButton('Scale…', reason, 'small'),
      add: disabledButton('Add pool…', reason),
      dialogs: null,
    };
  }
  let current = null;
  const replicas = numberInput('scale', 'Replicas', 'replicas', 1, 0, '0 removes the pool; the cluster keeps at least one worker.');
  const scale = formDialog({
    id: 'scale',
    title: 'Scale',
    body: [el('p', { class: 'scale-what' }), replicas, drainField('scale', 'a removed node')],
    submit: 'Scale pool',
    send: (v) => post(`/clusters/${enc(c.name)}/scale`, {
      pool: current.name, replicas: number(v.replicas), drain_timeout: orUndefined(v.drain_timeout),
    }),
    done: opened,
  });
  const shape = pools[0] || (c.spec && c.spec.control_plane) || {};
  const add = formDialog({
    id: 'add-pool',
    title: `Add a worker pool to ${c.name}`,
    body: [
      el('p', {}, 'New VMs are cloned from the cluster\'s template and join as workers of the new pool.'),
      field('Pool name', 'pool', { id: 'add-pool-pool', placeholder: 'e.g. gpu', required: true }, 'Lower-case letters, digits and dashes.'),
      numberInput('add-pool', 'Replicas', 'replicas', 1, 1),
      numberInput('add-pool', 'vCPUs per node', 'cpus', shape.cpus, 2),
      numberInput('add-pool', 'Memory per node (MiB)', 'memory_mib', shape.memory_mib, 4096),
      numberInput('add-pool', 'Disk per node (GiB)', 'disk_gib', shape.disk_gib, 40),
    ],
    submit: 'Add pool',
    send: (v) => post(`/clusters/${enc(c.name)}/scale`, {
      pool: v.pool, replicas: number(v.replicas), cpus: number(v.cpus), memory_mib: number(v.memory_mib), disk_gib: number(v.disk_gib),
    }),
    done: opened,
  });
  return {
    scale: (pool) => el('button', { type: 'button', class: 'small', 'data-pool': pool.name, onclick: () => {
      current = pool;
      scale.heading.textContent = `Scale pool ${pool.name} of ${c.name}`;
      scale.form.querySelector('.scale-what').textContent = `Pool ${pool.name} has ${pool.replicas} node${pool.replicas === 1 ? '' : 's'} ` +
        `of ${pool.cpus} vCPUs, ${pool.memory_mib} MiB and ${pool.disk_gib} GiB. New nodes join; when it shrinks, its newest nodes are drained and go.`;
      scale.form.querySelector('[name=replicas]').value = String(pool.replicas);
      scale.form.querySelector('[name=drain_timeout]').value = '';
      scale.open();
    } }, 'Scale…'),
    add: el('button', { type: 'button', onclick: () => {
      add.form.querySelector('[name=pool]').value = '';
      add.open();
    } }, 'Add pool…'),
    dialogs: [scale.dialog, add.dialog],
  };
}

/** replaceControls are the Replace… button of each node of cluster c, sharing one dialog;
 *  replace(node) is the cell of a node's row. */
export function replaceControls(c) {
  const reason = blockedReason(c);
  if (reason) return { replace: () => disabledButton('Replace…', reason, 'small'), dialog: null };
  let current = null;
  const what = el('p', {});
  const dialog = formDialog({
    id: 'replace',
    title: 'Replace',
    body: [what, drainField('replace', 'the old node')],
    submit: 'Replace node',
    danger: true,
    send: (v) => post(`/clusters/${enc(c.name)}/nodes/${enc(current.name)}/replace`,
      v.drain_timeout ? { drain_timeout: v.drain_timeout } : undefined),
    done: opened,
  });
  return {
    replace: (node) => el('button', { type: 'button', class: 'small', 'data-node': node.name, onclick: () => {
      current = node;
      dialog.heading.textContent = `Replace node ${node.name}?`;
      what.textContent = node.role === 'control-plane'
        ? 'A new control-plane node joins the control plane and its etcd first; then this one is drained, leaves etcd, and its VM and address go.'
        : `A new VM of pool ${node.pool || 'its pool'} joins first; then this node is drained, and its VM and address go.`;
      dialog.form.querySelector('[name=drain_timeout]').value = '';
      dialog.open();
    } }, 'Replace…'),
    dialog: dialog.dialog,
  };
}

/** blockedNotice explains, above the pools and nodes, why they cannot be changed now. */
export function blockedNotice(c) {
  const reason = blockedReason(c);
  if (!reason) return null;
  return el('p', { class: 'muted day2-blocked' }, reason,
    c.operation ? [' ', link('/operations/' + enc(c.operation.id), 'Open the operation')] : '');
}
