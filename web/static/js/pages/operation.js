// One operation: its summary, the decision it waits for (Retry and Cancel), Abandon for
// admins (an operation whose workflow is gone or stuck), and its steps as a live waterfall
// and as a list, kept current from the event stream while it is active.
import { ApiError, enc, get, post } from '../api.js';
import { badge, el, facts, page, replace, timeEl } from '../dom.js';
import { followOperation } from '../events.js';
import { fmtDuration, fmtTimeLeft, isActive, stateClass } from '../format.js';
import { confirmDialog, problemBox } from '../forms.js';
import { mayAbandon, mayDecide, whoami } from '../session.js';
import { waterfall } from '../waterfall.js';
import { targetLink } from './operations.js';

export async function operationView(ctx, id) {
  const [first, me] = await Promise.all([get('/operations/' + enc(id), ctx.signal), whoami()]);
  let op = first;
  const decide = mayDecide(me);
  const notices = el('div', { class: 'notices' });
  const live = el('span', { class: 'live' });
  const summary = el('div');
  const stepsList = el('div');
  const chart = waterfall();

  let following = false;
  function follow() {
    if (following || !isActive(op.state)) return;
    following = true;
    followOperation({
      id, signal: ctx.signal, current: () => op, onChange: changed,
      status: (text, on) => {
        live.textContent = text;
        live.className = 'live ' + (on ? 'on' : 'off');
      },
    }).finally(() => { following = false; });
  }

  const cancel = confirmDialog({
    id: 'cancel',
    title: 'Cancel this operation?',
    body: el('p', {}, 'Its compensation undoes what it did so far (VMs, IP leases, secrets), then it ends Canceled. This cannot be undone.'),
    keep: 'Keep it',
    confirm: 'Cancel operation',
    onConfirm: async () => {
      replace(notices);
      try {
        await post(`/operations/${enc(id)}/cancel`);
        replace(notices, el('p', { class: 'alert info' }, 'Cancellation requested; the timeline shows the compensation.'));
        follow();
      } catch (err) {
        replace(notices, refused('Not canceled. ', err));
      }
    },
  });
  const cancelButton = el('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: cancel.open }, 'Cancel…');
  const force = el('input', { type: 'checkbox', name: 'force', id: 'abandon-force' });
  const abandon = confirmDialog({
    id: 'abandon',
    title: 'Abandon this operation?',
    body: el('div', {},
      el('p', {}, 'For an operation whose workflow is gone, terminated or stuck: it ends Failed, "abandoned by" you, ',
        'and its target takes new operations again. Nothing is compensated: what it made so far stays (delete the cluster to remove it).'),
      el('p', {}, el('label', { for: 'abandon-force' }, force,
        ' Terminate its workflow if it still runs (otherwise a running one is refused: cancel it instead)'))),
    keep: 'Keep it',
    confirm: 'Abandon operation',
    onConfirm: async () => {
      replace(notices);
      try {
        const reply = await post(`/operations/${enc(id)}/abandon${force.checked ? '?force=true' : ''}`);
        if (reply && reply.operation) op = Object.assign({}, reply.operation, { steps: reply.operation.steps || op.steps });
        replace(notices, el('p', { class: 'alert info', 'data-notice': 'abandoned' }, 'Abandoned: ', op.error || op.state));
        draw();
      } catch (err) {
        replace(notices, refused('Not abandoned. ', err));
      }
    },
  });
  const abandonButton = el('button', { type: 'button', class: 'danger', 'data-action': 'abandon', onclick: () => { force.checked = false; abandon.open(); } }, 'Abandon…');
  const decision = decisionPanel({
    id, notices, me, decide, openCancel: cancel.open,
    retried: (reply) => {
      if (reply && reply.operation) op = Object.assign({}, reply.operation, { steps: reply.operation.steps || op.steps });
      draw();
      follow();
    },
  });

  function draw() {
    const now = Date.now();
    replace(summary, operationSummary(op));
    decision.update(op, now);
    chart.update(op, now);
    replace(stepsList, stepList(op.steps));
    // While the operation waits, Cancel is offered in the decision panel beside Retry.
    cancelButton.hidden = !decide || !isActive(op.state) || op.state === 'AwaitingDecision';
    abandonButton.hidden = !mayAbandon(me) || !isActive(op.state);
  }
  let scheduled = false;
  function changed(next) {
    op = next;
    if (scheduled) return;
    scheduled = true; // a burst of events (a replay after reconnecting) is drawn once
    requestAnimationFrame(() => {
      scheduled = false;
      if (!ctx.signal.aborted) draw();
    });
  }
  // Time moves on while the operation is active: running bars grow, the deadline nears.
  const clock = setInterval(() => {
    if (!isActive(op.state)) return;
    chart.update(op, Date.now());
    decision.tick(Date.now());
  }, 1000);
  ctx.signal.addEventListener('abort', () => clearInterval(clock), { once: true });

  draw();
  follow();
  return page(`Operation ${op.id}`, [live, cancelButton, abandonButton, cancel.dialog, abandon.dialog], notices, summary, decision.node,
    el('h2', {}, 'Timeline'), chart.node, el('h2', {}, 'Steps'), stepsList);
}

/** refused explains a refused decision: a 409's detail says why (the operation is not
 *  waiting, or already over); anything else is shown as any failed call. */
function refused(what, err) {
  if (err instanceof ApiError && err.status === 409) {
    return el('div', { class: 'alert error', role: 'alert' }, el('strong', {}, what), err.problem.detail || err.message);
  }
  return problemBox(err);
}

/** decisionPanel shows, while the operation awaits a decision, the step that failed, why,
 *  and the deadline with the time left, with Retry and Cancel for whoever may decide. */
function decisionPanel({ id, notices, me, decide, openCancel, retried }) {
  const step = el('strong', {});
  const reason = el('pre', { class: 'step-error' });
  const since = el('dd', {});
  const deadline = el('dd', {});
  const ago = el('span', {});
  const left = el('span', { class: 'time-left' });
  const retry = el('button', { type: 'button', class: 'primary', 'data-action': 'retry' }, 'Retry');
  let sinceISO = '';
  let deadlineISO = '';
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    replace(notices);
    try {
      const reply = await post(`/operations/${enc(id)}/retry`, {});
      replace(notices, el('p', { class: 'alert info' }, `Retry accepted: ${step.textContent} runs again, then the steps after it.`));
      retried(reply);
    } catch (err) {
      replace(notices, refused('Not retried. ', err));
    } finally {
      retry.disabled = false;
    }
  });
  const choices = decide
    ? el('div', { class: 'actions' }, retry,
      el('button', { type: 'button', class: 'danger', 'data-action': 'cancel', onclick: openCancel }, 'Cancel…'))
    : el('p', { class: 'muted' }, `Your token's role (${(me && me.role) || 'viewer'}) may watch only; an operator or an administrator decides.`);
  const node = el('section', { class: 'decision', 'aria-labelledby': 'decision-title', hidden: true },
    el('h2', { id: 'decision-title' }, 'Waiting for a decision'),
    el('p', {}, 'Step ', step, ' failed after its automatic retries. What the steps before it did is kept.'),
    reason,
    el('dl', { class: 'facts' }, el('dt', {}, 'Waiting since'), since, el('dt', {}, 'Deadline'), deadline),
    el('p', { class: 'muted' }, 'Retry runs the step again, then the steps after it. Cancel undoes what the operation did and ends it Canceled. ',
      'Without a decision by the deadline it is undone by itself and ends Failed.'),
    choices);
  function tick(now) {
    ago.textContent = sinceISO ? ` (${fmtDuration(sinceISO, null, now)} ago)` : '';
    left.textContent = deadlineISO ? ` (${fmtTimeLeft(deadlineISO, now)})` : '';
  }
  function update(op, now) {
    node.hidden = op.state !== 'AwaitingDecision';
    if (node.hidden) return;
    const d = op.decision || {};
    const failed = (op.steps || []).filter((s) => s.state === 'Failed').pop();
    step.textContent = d.step || (failed && failed.name) || 'unknown';
    reason.textContent = d.reason || (failed && failed.error) || op.error || '';
    reason.hidden = !reason.textContent;
    sinceISO = d.since || '';
    replace(since, sinceISO ? [timeEl(sinceISO), ago] : '—');
    deadlineISO = d.deadline || '';
    replace(deadline, deadlineISO ? [timeEl(deadlineISO), left] : (op.decision_timeout ? `${op.decision_timeout} after the failure` : '—'));
    tick(now);
  }
  return { node, update, tick };
}

function operationSummary(op) {
  const onFailure = { wait: `wait for a decision${op.decision_timeout ? ` (up to ${op.decision_timeout})` : ''}`, compensate: 'undo at once' };
  return [
    facts([
      ['State', badge(op.state)],
      ['Kind', op.kind],
      ['Target', targetLink(op.target)],
      ...(op.params && Object.keys(op.params).length ? [['Parameters', paramsText(op.params)]] : []),
      ['Actor', op.actor],
      ['Request id', op.request_id && el('code', {}, op.request_id)],
      ['Started', timeEl(op.created_at)],
      ['Finished', op.finished_at ? [timeEl(op.finished_at), ` (took ${fmtDuration(op.created_at, op.finished_at)})`] : '—'],
      ['On failure', onFailure[op.on_failure] || op.on_failure],
      ['Workflow', el('code', {}, op.workflow_id)],
    ]),
    op.error && el('pre', { class: 'alert error' }, op.error),
  ];
}

/** paramsText shows what an operation was asked to do, e.g. "pool default · replicas 3". */
export function paramsText(params) {
  return Object.entries(params).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
}

/** stepList shows each step: name, state, attempts, start, finish and error, and its runs
 *  when a person retried it. */
function stepList(steps) {
  if (!steps || !steps.length) return el('p', { class: 'empty' }, 'No step has started yet.');
  return el('ol', { class: 'timeline' }, steps.map((s) => el('li', { class: 'step ' + stateClass(s.state) },
    el('div', { class: 'step-head' },
      badge(s.state),
      el('span', { class: 'step-name' }, s.name),
      el('span', { class: s.attempts > 1 ? 'attempts retried' : 'attempts' }, `${s.attempts} attempt${s.attempts === 1 ? '' : 's'}`)),
    el('div', { class: 'step-times muted' },
      'started ', timeEl(s.started_at), ' · finished ', timeEl(s.finished_at),
      s.started_at ? ` · ${fmtDuration(s.started_at, s.finished_at)}` : ''),
    s.runs && s.runs.length > 1 && el('ol', { class: 'runs' }, s.runs.map((r) => el('li', {},
      badge(r.state), ` run ${r.run} `, r.run > 1 ? `retried by ${r.actor}` : `started by ${r.actor}`, ' at ', timeEl(r.started_at),
      ` · ${(r.attempts || []).length} attempt${(r.attempts || []).length === 1 ? '' : 's'}`,
      r.started_at ? ` · ${fmtDuration(r.started_at, r.finished_at)}` : '',
      r.error && el('div', { class: 'error-text' }, r.error)))),
    s.error && el('pre', { class: 'step-error' }, s.error))));
}
