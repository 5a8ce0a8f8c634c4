// Checks the operation page's pure parts under node; run by TestPortalJSHelpers: applying
// the event stream to an operation, following it across a dropped connection (with a
// stand-in fetch), and the waterfall's geometry.
import assert from 'node:assert/strict';
import { applyEvent, followOperation } from '../static/js/events.js';
import { waterfallLayout } from '../static/js/waterfall.js';

const T = (hhmmss) => `2026-12-02T${hhmmss}Z`;
const at = (hhmmss) => Date.parse(T(hhmmss));

// ---------------------------------------------------------------------------------------
// A provision whose create-workers failed twice, waited, and was retried by alice.

const opFields = (state, extra) => Object.assign({
  id: 'op1', kind: 'cluster.provision', target: { kind: 'cluster', id: 'c1', name: 'dev' }, actor: 'admin',
  state, error: '', on_failure: 'wait', decision_timeout: '1h0m0s', created_at: T('10:00:00'), updated_at: T('10:00:00'),
}, extra);
const preflight = {
  name: 'preflight', state: 'Succeeded', attempts: 1, started_at: T('10:00:00'), finished_at: T('10:01:00'), error: '',
  runs: [{ run: 1, state: 'Succeeded', actor: 'admin', started_at: T('10:00:00'), finished_at: T('10:01:00'),
    attempts: [{ attempt: 1, state: 'Succeeded', started_at: T('10:00:00'), finished_at: T('10:01:00') }] }],
};
const run1 = {
  run: 1, state: 'Failed', actor: 'admin', started_at: T('10:01:00'), finished_at: T('10:03:00'), error: 'locked',
  attempts: [
    { attempt: 1, state: 'Failed', started_at: T('10:01:00'), finished_at: T('10:01:30'), error: 'busy' },
    { attempt: 2, state: 'Failed', started_at: T('10:02:00'), finished_at: T('10:03:00'), error: 'locked' }],
};
const workersFailed = { name: 'create-workers', state: 'Failed', attempts: 2, started_at: T('10:01:00'), finished_at: T('10:03:00'), error: 'locked', runs: [run1] };
const run2 = {
  run: 2, state: 'Succeeded', actor: 'alice', started_at: T('10:06:00'), finished_at: T('10:09:00'),
  attempts: [{ attempt: 1, state: 'Succeeded', started_at: T('10:06:00'), finished_at: T('10:09:00') }],
};
const workersDone = { name: 'create-workers', state: 'Succeeded', attempts: 3, started_at: T('10:01:00'), finished_at: T('10:09:00'), error: '', runs: [run1, run2] };
const addons = {
  name: 'install-addons', state: 'Succeeded', attempts: 1, started_at: T('10:09:00'), finished_at: T('10:10:00'), error: '',
  runs: [{ run: 1, state: 'Succeeded', actor: 'admin', started_at: T('10:09:00'), finished_at: T('10:10:00'),
    attempts: [{ attempt: 1, state: 'Succeeded', started_at: T('10:09:00'), finished_at: T('10:10:00') }] }],
};
const decision = { step: 'create-workers', reason: 'clone failed: locked', since: T('10:03:00'), deadline: T('11:03:00') };

// The log as the server sends it: operation events without steps, step events with index.
const log = [
  ['operation', opFields('Running')],
  ['step', Object.assign({ index: 0 }, preflight, { state: 'Running', finished_at: undefined })],
  ['step', Object.assign({ index: 0 }, preflight)],
  ['step', Object.assign({ index: 1 }, workersFailed)],
  ['operation', opFields('AwaitingDecision', { decision })],
  ['operation', opFields('Running')],
  ['step', Object.assign({ index: 1 }, workersDone)],
  ['step', Object.assign({ index: 2 }, addons)],
  ['operation', opFields('Succeeded', { finished_at: T('10:10:00') })],
].map(([event, data]) => [event, JSON.parse(JSON.stringify(data))]); // as parsed from the wire
const final = Object.assign(opFields('Succeeded', { finished_at: T('10:10:00') }), { steps: [preflight, workersDone, addons] });
const replay = (op, events) => events.reduce((o, [event, data]) => applyEvent(o, event, data), op);

// Applying every event to an empty operation rebuilds it; so does applying them to the
// snapshot the page starts from (the stream starts at event 1), and resuming after any event.
assert.deepEqual(replay({ steps: [] }, log), final);
assert.deepEqual(replay(JSON.parse(JSON.stringify(final)), log), final);
for (let k = 0; k <= log.length; k++) assert.deepEqual(replay(replay({ steps: [] }, log.slice(0, k)), log.slice(k)), final);

// While waiting the decision is there; the next operation event (without it) removes it,
// and keeps the steps.
const waiting = replay({ steps: [] }, log.slice(0, 5));
assert.deepEqual(waiting.decision, decision);
assert.equal(waiting.steps.length, 2);
const resumed = applyEvent(waiting, 'operation', opFields('Running'));
assert.equal(resumed.decision, undefined);
assert.equal(resumed.steps, waiting.steps);
assert.notEqual(resumed, waiting);
assert.deepEqual(waiting.decision, decision, 'applyEvent changed its input');

// A step event out of range, an unknown event and a bad index leave the operation alone;
// steps change only through step events, even if an operation event carried some.
assert.equal(applyEvent(waiting, 'step', Object.assign({ index: 5 }, addons)), waiting);
assert.equal(applyEvent(waiting, 'step', Object.assign({ index: '1' }, addons)), waiting);
assert.equal(applyEvent(waiting, 'keep-alive', {}), waiting);
assert.equal(applyEvent(waiting, 'operation', final).steps, waiting.steps);

// ---------------------------------------------------------------------------------------
// Following the stream: the connection drops after event 3; the follower reconnects with
// Last-Event-ID: 3 and gets the rest (a malformed event among them is skipped), then "end".

const wire = log.map(([event, data], i) => `id: ${i + 1}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
const streams = [
  [': keep-alive\n\n', wire[0], wire[1].slice(0, 20), wire[1].slice(20) + wire[2]],
  [wire[3], 'id: 99\nevent: step\ndata: {not json\n\n', ...wire.slice(4), 'event: end\ndata: {}\n\n'],
];
const requests = [];
globalThis.sessionStorage = { getItem: () => 'tok' };
globalThis.fetch = async (url, init) => {
  requests.push({ url, headers: init.headers });
  const chunks = streams[requests.length - 1];
  const body = new ReadableStream({
    start(controller) {
      chunks.forEach((c) => controller.enqueue(new TextEncoder().encode(c)));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
};
let followed = JSON.parse(JSON.stringify(waiting)); // any start: the log rebuilds it
const statuses = [];
await followOperation({
  id: 'op 1', signal: new AbortController().signal, current: () => followed,
  onChange: (op) => { followed = op; }, status: (text, on) => statuses.push([text, on]),
});
assert.deepEqual(followed, final);
assert.equal(requests.length, 2);
assert.equal(requests[0].url, '/api/v1/operations/op%201/events');
assert.equal(requests[0].headers['Last-Event-ID'], undefined);
assert.equal(requests[0].headers.Authorization, 'Bearer tok');
assert.equal(requests[1].headers['Last-Event-ID'], '3');
assert.deepEqual(statuses.map(([text]) => text), ['● live', 'reconnecting…', '● live', 'finished']);

// ---------------------------------------------------------------------------------------
// The waterfall: the finished operation spans 10 minutes; ticks every 2 minutes.

const byKey = (row) => Object.fromEntries(row.bars.map((b) => [b.key, b]));
let w = waterfallLayout(final, at('12:00:00'));
assert.deepEqual(w.ticks, [0, 20, 40, 60, 80, 100].map((left, i) => ({ left, label: ['0', '2m', '4m', '6m', '8m', '10m'][i] })));
assert.deepEqual(w.rows.map((r) => [r.name, r.state, r.note]),
  [['preflight', 'Succeeded', ''], ['create-workers', 'Succeeded', '3 attempts · retried by alice'], ['install-addons', 'Succeeded', '']]);
let workers = w.rows[1];
assert.deepEqual(workers.bars.map((b) => [b.key, b.kind, b.state, b.left, b.width, b.label]), [
  ['r1', 'run', 'Failed', 10, 20, ''],
  ['r1a1', 'attempt', 'Failed', 10, 5, ''],
  ['r1a2', 'attempt', 'Failed', 20, 10, ''],
  ['w2', 'wait', 'waiting', 30, 30, ''],
  ['r2', 'run', 'Succeeded', 60, 30, 'run 2 · retried by alice'],
  ['r2a1', 'attempt', 'Succeeded', 60, 30, ''],
]);
let bars = byKey(workers);
// A label in the axis's second half is drawn leftwards from its bar's end, to stay on it.
assert.deepEqual(workers.bars.map((b) => b.labelEnd), [false, false, false, false, true, true]);
assert.equal(bars.r1a2.title, 'create-workers, attempt 2 of run 1: Failed, 1m 00s\nlocked');
assert.equal(bars.r2.title, 'create-workers, run 2 (retried by alice): Succeeded, 3m 00s, 1 attempt');
assert.equal(bars.r1.title, 'create-workers, run 1 (started by admin): Failed, 2m 00s, 2 attempts\nlocked');
assert.equal(bars.w2.title, 'create-workers: waited 3m 00s for a decision; retried by alice');
assert.equal(byKey(w.rows[0]).r1a1.title, 'preflight, attempt 1: Succeeded, 1m 00s');

// Waiting for a decision at 10:05: the axis ends now, the wait grows from the failure.
const awaiting = Object.assign(opFields('AwaitingDecision', { decision }), { steps: [preflight, workersFailed] });
w = waterfallLayout(awaiting, at('10:05:00'));
assert.deepEqual(w.ticks.map((t) => t.label), ['0', '1m', '2m', '3m', '4m', '5m']);
bars = byKey(w.rows[1]);
assert.deepEqual([bars.r1.left, bars.r1.width], [20, 40]);
assert.deepEqual([bars.waiting.kind, bars.waiting.left, bars.waiting.width, bars.waiting.label], ['wait', 60, 40, 'waiting for a decision']);
assert.equal(bars.waiting.title, 'create-workers: waiting for a decision for 2m 00s (deadline 2026-12-02T11:03:00Z)\nclone failed: locked');
assert.equal(w.rows[1].note, '2 attempts');
// The same operation once it failed at the deadline: no wait is drawn past the failure.
w = waterfallLayout(Object.assign({}, awaiting, { state: 'Failed', decision: undefined, finished_at: T('11:03:00') }), at('12:00:00'));
assert.equal(byKey(w.rows[1]).waiting, undefined);

// A running attempt grows to now; the axis grows with it.
const running = Object.assign(opFields('Running'), {
  steps: [preflight, { name: 'create-workers', state: 'Running', attempts: 1, started_at: T('10:01:00'),
    runs: [{ run: 1, state: 'Running', actor: 'admin', started_at: T('10:01:00'),
      attempts: [{ attempt: 1, state: 'Running', started_at: T('10:01:00') }] }] },
  { name: 'install-addons', state: 'Pending', attempts: 0 }],
});
bars = byKey(waterfallLayout(running, at('10:02:00')).rows[1]);
assert.deepEqual([bars.r1a1.left, bars.r1a1.width, bars.r1a1.state], [50, 50, 'Running']);
bars = byKey(waterfallLayout(running, at('10:04:00')).rows[1]);
assert.deepEqual([bars.r1a1.left, bars.r1a1.width], [25, 75]);
assert.deepEqual(waterfallLayout(running, at('10:04:00')).rows[2].bars, []);

// A blink still shows (minimum width, kept inside the axis). A run recorded before
// attempts were (a step from before the upgrade) is its band alone.
const blink = Object.assign(opFields('Succeeded', { finished_at: T('10:10:00') }), {
  steps: [{ name: 'sync', state: 'Succeeded', attempts: 1, started_at: T('10:10:00'), finished_at: T('10:10:00'),
    runs: [{ run: 1, state: 'Succeeded', actor: 'admin', started_at: T('10:10:00'), finished_at: T('10:10:00'),
      attempts: [{ attempt: 1, state: 'Succeeded', started_at: T('10:10:00'), finished_at: T('10:10:00') }] }] },
  { name: 'old', state: 'Succeeded', attempts: 3, started_at: T('10:00:00'), finished_at: T('10:05:00'),
    runs: [{ run: 1, state: 'Succeeded', started_at: T('10:00:00'), finished_at: T('10:05:00'), attempts: null }] }],
});
w = waterfallLayout(blink, at('12:00:00'));
assert.deepEqual(w.rows[0].bars.map((b) => [b.key, b.kind, b.left, b.width]), [['r1', 'run', 99.5, 0.5], ['r1a1', 'attempt', 99.5, 0.5]]);
assert.equal(w.rows[0].bars[1].title, 'sync, attempt 1: Succeeded, 0s');
assert.deepEqual(w.rows[1].bars.map((b) => [b.key, b.kind, b.left, b.width]), [['r1', 'run', 0, 50]]);
assert.equal(w.rows[1].bars[0].title, 'old, run 1 (started by unknown): Succeeded, 5m 00s');
assert.equal(w.rows[1].note, '3 attempts');

// An operation that has not started: a one-second axis at now, no rows.
w = waterfallLayout({ state: 'Pending', steps: [] }, at('10:00:00'));
assert.deepEqual([w.start, w.end, w.rows], [at('10:00:00'), at('10:00:01'), []]);

console.log('ok');
