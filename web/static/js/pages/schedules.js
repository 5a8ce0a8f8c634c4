// Schedules: every Day-2 schedule with its timetable, next run and the outcome of its last
// run, the New schedule form, and Pause/Unpause, Run now and Delete for operators (hidden
// for viewers; the server decides anyway).
import { del, enc, get, post } from '../api.js';
import { badge, el, link, orDash, page, replace, table, timeEl } from '../dom.js';
import { actionButton, checkbox, confirmDialog, field, problemBox, selectField, submitForm, toggleForm } from '../forms.js';
import { listQuery, pager } from '../lists.js';
import { refresh } from '../nav.js';
import { mayOperate, whoami } from '../session.js';

/** KINDS are the schedule kinds, with what each runs. */
const KINDS = [
  ['backup', 'backup (etcd snapshot)'],
  ['certificate-check', 'certificate check'],
  ['certificate-renewal', 'certificate renewal'],
  ['cluster-health', 'health check (sets Degraded or Unreachable)'],
];

/** scheduleWhen is a schedule's timetable as a person reads it. */
export function scheduleWhen(s) {
  const when = s.every ? `every ${s.every}` : `cron ${s.cron}`;
  return s.jitter ? `${when} ±${s.jitter}` : when;
}

/** runCounts is "1 succeeded, 0 failed, 1 skipped" of a run, "" without one. */
export function runCounts(run) {
  if (!run || !run.counts) return '';
  const c = run.counts;
  return `${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped`;
}

/** scheduleBody is the POST /schedules body of the form's values: the timetable the
 *  chosen "when" says, each kind's setting only for its kind, nothing left empty. */
export function scheduleBody(v) {
  const body = { kind: v.kind, cluster: v.cluster || '*' };
  if (v.when === 'every') body.every = v.timetable;
  else body.cron = v.timetable;
  if (v.jitter) body.jitter = v.jitter;
  if (v.kind === 'backup' && v.retention) body.retention = Number(v.retention);
  if (v.kind === 'certificate-renewal' && v.renew_before_days) body.renew_before_days = Number(v.renew_before_days);
  if (v.paused) body.paused = true;
  return body;
}

function newScheduleForm() {
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', {}, 'New schedule'),
    el('div', { class: 'grid' },
      selectField('Kind', 'kind', KINDS, 'backup'),
      field('Cluster', 'cluster', { placeholder: '*' }, 'a cluster’s name, or * for every Ready cluster'),
      selectField('When', 'when', [['cron', 'cron (UTC)'], ['every', 'every']], 'cron'),
      field('Timetable', 'timetable', { placeholder: '0 3 * * *', required: true }, 'five cron fields, or a duration such as 6h (at least 1m)'),
      field('Jitter', 'jitter', { placeholder: '10m' }, 'optional, up to 1h'),
      field('Retention', 'retention', { type: 'number', min: 1, placeholder: '7' }, 'backup: newest backups kept'),
      field('Renew before (days)', 'renew_before_days', { type: 'number', min: 1, placeholder: '30' }, 'certificate renewal'),
      checkbox('Create paused', 'paused')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Create')));
  // The timetable's errors come back on cron or every: show them at the timetable.
  const slot = form.querySelector('[data-field=timetable]');
  for (const name of ['cron', 'every']) {
    slot.parentNode.insertBefore(el('div', { class: 'field slot', 'data-field': name }, el('div', { class: 'field-error' })), slot.nextSibling);
  }
  return submitForm(form, (v) => post('/schedules', scheduleBody(v)), () => refresh());
}

/** actions are a schedule's buttons: pause or unpause, run now, delete. */
function actions(s, notices) {
  const path = '/schedules/' + enc(s.id);
  return el('div', { class: 'row-actions' },
    s.paused
      ? actionButton('Unpause', '', notices, async () => { await post(path + '/unpause'); refresh(); })
      : actionButton('Pause', '', notices, async () => { await post(path + '/pause'); refresh(); }),
    actionButton('Run now', '', notices, async () => { await post(path + '/trigger'); refresh(); }),
    deleteButton(s, notices));
}

/** deleteButton asks before the schedule goes (its Temporal schedule and its record). */
function deleteButton(s, notices) {
  const { dialog, open } = confirmDialog({
    id: 'delete-' + s.id,
    title: `Delete the ${s.kind} schedule of ${s.cluster === '*' ? 'every cluster' : s.cluster}?`,
    body: el('p', {}, 'No run starts from it any more; a run in progress goes on to its end.'),
    keep: 'Keep it',
    confirm: 'Delete schedule',
    onConfirm: async () => {
      replace(notices);
      try {
        await del('/schedules/' + enc(s.id));
        refresh();
      } catch (err) {
        replace(notices, problemBox(err));
      }
    },
  });
  return [el('button', { type: 'button', class: 'danger', onclick: open }, 'Delete…'), dialog];
}

function lastRunCell(run) {
  if (!run) return '—';
  return [badge(run.outcome), ' ', timeEl(run.time), el('div', { class: 'muted' }, runCounts(run)),
    (run.operations || []).map((id) => el('div', {}, link('/operations/' + enc(id), 'operation ' + id.slice(0, 8))))];
}

/** clusterRunCell is what a schedule's last run did on one cluster: its outcome, the
 *  operation it started or why it skipped the cluster. */
function clusterRunCell(run, cluster) {
  const target = run && (run.targets || []).find((t) => t.cluster === cluster);
  if (!target) return run ? [badge(run.outcome), ' ', timeEl(run.time)] : '—';
  return [badge(target.outcome), ' ', timeEl(run.time),
    target.operation && el('div', {}, link('/operations/' + enc(target.operation), 'operation ' + target.operation.slice(0, 8))),
    target.reason && el('div', { class: 'muted' }, target.reason)];
}

/** clusterSchedulesSection lists the schedules that run on cluster c, its own and those
 *  of every Ready cluster, with what each last did on it; they are changed on the
 *  Schedules page. */
export function clusterSchedulesSection(c, own, all) {
  const items = [].concat((own && own.items) || [], (all && all.items) || []);
  return el('section', { id: 'schedules' },
    el('h2', {}, 'Schedules'),
    el('p', { class: 'muted' }, 'Backups and certificate checks on a timetable; ', link('/schedules', 'manage them on the Schedules page'), '.'),
    table([
      { title: 'Kind', cell: (s) => s.kind },
      { title: 'For', cell: (s) => (s.cluster === '*' ? 'every Ready cluster' : 'this cluster') },
      { title: 'When', cell: (s) => el('code', {}, scheduleWhen(s)) },
      { title: 'Next run', cell: (s) => (s.paused ? badge('Paused') : timeEl((s.next_runs || [])[0])) },
      { title: 'Last run here', cell: (s) => clusterRunCell(s.last_run, c.name) },
    ], items, 'No schedule runs on this cluster.'));
}

export async function schedulesView(ctx) {
  const params = ctx.params;
  const [reply, me] = await Promise.all([get('/schedules' + listQuery(params, ['cluster', 'kind']), ctx.signal), whoami()]);
  const operator = mayOperate(me);
  const notices = el('div', { class: 'notices' });
  let form = null;
  if (operator) {
    form = newScheduleForm();
    form.hidden = true;
  }
  const columns = [
    { title: 'Kind', cell: (s) => s.kind },
    { title: 'Cluster', cell: (s) => (s.cluster === '*' ? 'every Ready cluster' : link('/clusters/' + enc(s.cluster), s.cluster)) },
    { title: 'When', cell: (s) => el('code', {}, scheduleWhen(s)) },
    { title: 'Next run', cell: (s) => (s.paused ? badge('Paused') : timeEl((s.next_runs || [])[0])) },
    { title: 'Last run', cell: (s) => lastRunCell(s.last_run) },
    { title: 'Created', cell: (s) => [timeEl(s.created_at), el('div', { class: 'muted' }, orDash(s.created_by))] },
  ];
  if (operator) columns.push({ title: 'Actions', cell: (s) => actions(s, notices) });
  return page('Schedules', [operator && toggleForm('New schedule', form)], form, notices,
    table(columns, reply.items, 'No schedule yet.' + (operator ? ' Back up or check clusters on a timetable.' : '')),
    pager('/schedules', params, reply.next_cursor));
}
