// Audit log: every request that changed something (or was refused), newest first.
import { get } from '../api.js';
import { badge, el, orDash, page, table, timeEl } from '../dom.js';
import { filterForm, listQuery, pager, textFilter } from '../lists.js';
import { projectColumn } from '../project-switch.js';

export async function auditView(ctx) {
  const params = ctx.params;
  const reply = await get('/audit' + listQuery(params, ['actor', 'action', 'target']), ctx.signal);
  return page('Audit log', [],
    filterForm('/audit', params, [
      textFilter('Actor', 'actor', params.get('actor'), { size: 10 }),
      textFilter('Action', 'action', params.get('action'), { size: 14, placeholder: 'vcenter.sync' }),
      textFilter('Target', 'target', params.get('target'), { size: 14, placeholder: 'cluster/dev-east' }),
    ]),
    table([
      { title: 'Time', cell: (e) => timeEl(e.at) },
      { title: 'Actor', cell: (e) => e.actor },
      { title: 'Action', cell: (e) => e.action },
      { title: 'Target', cell: (e) => orDash(e.target) },
      projectColumn(params),
      { title: 'Outcome', cell: (e) => badge(e.outcome) },
      { title: 'Status', class: 'num', cell: (e) => e.status },
      { title: 'Request id', cell: (e) => el('code', {}, e.request_id) },
    ], reply.items, 'No audit event matches.'),
    pager('/audit', params, reply.next_cursor));
}
