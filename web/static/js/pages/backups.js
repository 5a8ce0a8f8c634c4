// Backups of one cluster, a section of its page: the etcd backups at their targets
// (time, size, SHA-256, etcd revision, node, target) and, for operators of a Ready
// cluster, "Back up now", which starts a cluster.backup operation and opens it.
import { ApiError, enc, post } from '../api.js';
import { el, link, orDash, replace, table, timeEl } from '../dom.js';
import { fmtBytes } from '../format.js';
import { actionButton, problemBox } from '../forms.js';
import { go } from '../nav.js';

/** backupsSection lists the cluster's backups (the reply of GET .../backups, or null when
 *  it could not be read) with a "Back up now" button for operators of a Ready cluster. */
export function backupsSection(c, backups, operator) {
  const notices = el('div', { class: 'notices' });
  const list = (backups && backups.items) || [];
  const actions = operator && c.phase === 'Ready' && el('div', { class: 'actions' },
    actionButton('Back up now', '', notices, async () => {
      try {
        const reply = await post(`/clusters/${enc(c.name)}/backups`);
        go('/operations/' + enc(reply.operation.id));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409 && err.problem.operation)) throw err;
        replace(notices, el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, `Cluster ${c.name} is busy. `),
          'Another operation of it is running: ', link('/operations/' + enc(err.problem.operation), err.problem.operation), '.'));
      }
    }));
  return el('section', { id: 'backups' },
    el('h2', {}, 'Backups'),
    el('p', { class: 'muted' }, 'Encrypted etcd snapshots with the control plane\'s PKI, newest first.' +
      (backups && backups.next_cursor ? ' Older ones: cwctl clusters backups.' : '')),
    actions, notices,
    table([
      { title: 'Taken', cell: (b) => timeEl(b.created_at) },
      { title: 'Size', class: 'num', cell: (b) => fmtBytes(b.size_bytes) },
      { title: 'SHA-256', cell: (b) => el('code', { title: b.sha256 }, (b.sha256 || '').slice(0, 12)) },
      { title: 'etcd revision', class: 'num', cell: (b) => String(b.etcd_revision) },
      { title: 'Kubernetes', cell: (b) => orDash(b.kubernetes_version) },
      { title: 'Node', cell: (b) => orDash(b.node) },
      { title: 'Target', cell: (b) => [b.target_kind, ' ', el('code', {}, b.target_location)] },
      { title: 'Operation', cell: (b) => (b.operation_id ? link('/operations/' + enc(b.operation_id), b.operation_id.slice(0, 8)) : '—') },
    ], list, 'No backup yet.'));
}
