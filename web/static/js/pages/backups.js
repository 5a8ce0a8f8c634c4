// Backups of one cluster, a section of its page: the etcd backups at their targets
// (time, size, SHA-256, etcd revision, node, target); for operators of a Ready cluster
// "Back up now", which starts a cluster.backup operation and opens it; for admins a
// confirmed "Restore…" per backup, which starts a cluster.restore operation.
import { ApiError, enc, post } from '../api.js';
import { el, link, orDash, replace, table, timeEl } from '../dom.js';
import { fmtBytes } from '../format.js';
import { actionButton, confirmDialog, problemBox } from '../forms.js';
import { go } from '../nav.js';

/** busyNotice names the operation that keeps cluster name busy. */
function busyNotice(name, operation) {
  return el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, `Cluster ${name} is busy. `),
    'Another operation of it is running: ', link('/operations/' + enc(operation), operation), '.');
}

/** restoreButton confirms and starts the restore of backup b of cluster name. */
function restoreButton(name, b, notices) {
  const { dialog, open } = confirmDialog({
    id: 'restore-' + b.id,
    title: `Restore ${name} to this backup?`,
    body: el('p', {}, `The control plane stops on every control-plane node and etcd is restored to revision ${b.etcd_revision} ` +
      `of ${new Date(b.created_at).toLocaleString()}: everything changed in the cluster since is lost. The cluster is Updating meanwhile.`),
    keep: 'Keep the cluster as it is',
    confirm: 'Restore',
    onConfirm: async () => {
      replace(notices);
      try {
        const reply = await post(`/clusters/${enc(name)}/backups/${enc(b.id)}/restore`);
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        replace(notices, err instanceof ApiError && err.status === 409 && err.problem.operation
          ? busyNotice(name, err.problem.operation) : problemBox(err));
      }
    },
  });
  return [el('button', { type: 'button', class: 'small danger', onclick: open }, 'Restore…'), dialog];
}

/** backupsSection lists the cluster's backups (the reply of GET .../backups, or null when
 *  it could not be read) with a "Back up now" button for operators of a Ready cluster and
 *  a "Restore…" button per backup for admins of a Ready cluster. */
export function backupsSection(c, backups, operator, admin) {
  const notices = el('div', { class: 'notices' });
  const list = (backups && backups.items) || [];
  const ready = c.phase === 'Ready';
  const actions = operator && ready && el('div', { class: 'actions' },
    actionButton('Back up now', '', notices, async () => {
      try {
        const reply = await post(`/clusters/${enc(c.name)}/backups`);
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409 && err.problem.operation)) throw err;
        replace(notices, busyNotice(c.name, err.problem.operation));
      }
    }));
  const columns = [
    { title: 'Taken', cell: (b) => timeEl(b.created_at) },
    { title: 'Size', class: 'num', cell: (b) => fmtBytes(b.size_bytes) },
    { title: 'SHA-256', cell: (b) => el('code', { title: b.sha256 }, (b.sha256 || '').slice(0, 12)) },
    { title: 'etcd revision', class: 'num', cell: (b) => String(b.etcd_revision) },
    { title: 'Kubernetes', cell: (b) => orDash(b.kubernetes_version) },
    { title: 'Node', cell: (b) => orDash(b.node) },
    { title: 'Target', cell: (b) => [b.target_kind, ' ', el('code', {}, b.target_location)] },
    { title: 'Operation', cell: (b) => (b.operation_id ? link('/operations/' + enc(b.operation_id), b.operation_id.slice(0, 8)) : '—') },
  ];
  if (admin && ready) columns.push({ title: '', cell: (b) => restoreButton(c.name, b, notices) });
  return el('section', { id: 'backups' },
    el('h2', {}, 'Backups'),
    el('p', { class: 'muted' }, 'Encrypted etcd snapshots with the control plane\'s PKI, newest first.' +
      (backups && backups.next_cursor ? ' Older ones: cwctl clusters backups.' : '')),
    actions, notices,
    table(columns, list, 'No backup yet.'));
}
