// Operations: every long-running operation, filterable by state, kind, cluster, actor and
// the time it was created in, newest first.
import { enc, get } from '../api.js';
import { badge, el, link, page, table, timeEl } from '../dom.js';
import { fmtDuration, isoToLocal, localToISO } from '../format.js';
import { filterForm, listQuery, pager, selectFilter, textFilter } from '../lists.js';
import { refresh } from '../nav.js';
import { projectColumn } from '../project-switch.js';

const OPERATION_STATES = ['Pending', 'Running', 'AwaitingDecision', 'Succeeded', 'Failed', 'Canceled'];
const OPERATION_KINDS = ['vcenter.sync', 'cluster.provision', 'cluster.delete',
  'cluster.certificate-check', 'cluster.certificate-renewal', 'cluster.backup', 'cluster.restore',
  'cluster.upgrade', 'cluster.scale', 'cluster.node-replace',
  'clusterset.form', 'clusterset.join', 'clusterset.leave', 'clusterset.disband'];

export async function operationsView(ctx) {
  const params = ctx.params;
  const reply = await get('/operations' + listQuery(params, ['state', 'kind', 'cluster', 'actor', 'since', 'until']), ctx.signal);
  const timeFilter = (label, name, title) => el('label', { title }, label, ' ',
    el('input', { name, type: 'datetime-local', value: isoToLocal(params.get(name)) }));
  // The page's URL keeps since and until as RFC 3339 times, as the API takes them.
  const toParams = (v) => Object.assign({}, v, { since: localToISO(v.since), until: localToISO(v.until) });
  return page('Operations', [el('button', { type: 'button', onclick: refresh }, 'Refresh')],
    filterForm('/operations', params, [
      selectFilter('State', 'state', OPERATION_STATES, params.get('state')),
      el('label', {}, 'Kind ', el('input', { name: 'kind', type: 'text', list: 'op-kinds', size: 16, value: params.get('kind') || '' }),
        el('datalist', { id: 'op-kinds' }, OPERATION_KINDS.map((k) => el('option', { value: k })))),
      textFilter('Cluster', 'cluster', params.get('cluster'), { size: 12 }),
      textFilter('Actor', 'actor', params.get('actor'), { size: 10 }),
      timeFilter('Since', 'since', 'started at or after (your local time)'),
      timeFilter('Until', 'until', 'started before (your local time)'),
    ], toParams),
    table([
      { title: 'Id', cell: (o) => link('/operations/' + enc(o.id), o.id) },
      { title: 'Kind', cell: (o) => o.kind },
      { title: 'Target', cell: (o) => targetLink(o.target) },
      projectColumn(params),
      { title: 'Actor', cell: (o) => o.actor },
      { title: 'State', cell: (o) => [badge(o.state), o.decision && el('div', { class: 'muted' }, `at ${o.decision.step}`)] },
      { title: 'Started', cell: (o) => timeEl(o.created_at) },
      { title: 'Took', class: 'num', cell: (o) => fmtDuration(o.created_at, o.finished_at) },
    ], reply.items, 'No operation matches.'),
    pager('/operations', params, reply.next_cursor));
}

/** targetLink links to what an operation works on. */
export function targetLink(target) {
  if (!target) return '—';
  const text = `${target.kind} ${target.name}`;
  if (target.kind === 'vcenter') return link('/vcenters/' + enc(target.name), text);
  if (target.kind === 'cluster') return link('/clusters/' + enc(target.name), text);
  if (target.kind === 'clusterset') return link('/clustersets/' + enc(target.name), text);
  return text;
}
