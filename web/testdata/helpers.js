// Checks the portal's pure helpers under node; run by TestPortalJSHelpers. The modules
// are imported as the browser loads them (web/package.json makes .js files ES modules).
import assert from 'node:assert/strict';
import { isoToLocal, fmtBytes, fmtDuration, fmtSeconds, fmtTimeLeft, localToISO, stateClass, isActive } from '../static/js/format.js';
import { fieldCandidates, setPath } from '../static/js/forms.js';
import { parseHash, withQuery } from '../static/js/nav.js';
import { placementChoices } from '../static/js/pages/cluster-form.js';
import { endpointKind } from '../static/js/pages/clusters.js';
import { blockedReason, upgradeReason } from '../static/js/pages/day2.js';
import { paramsText } from '../static/js/pages/operation.js';
import { mayDecide } from '../static/js/session.js';
import { sseParser } from '../static/js/sse.js';

const app = { sseParser, fieldCandidates, setPath, placementChoices, fmtBytes, fmtDuration, parseHash, withQuery, stateClass };

// The SSE parser: events split across chunks, CRLF split between chunks, comments,
// multi-line data, and an event without data (not dispatched).
function parse(chunks, withIds) {
  const events = [];
  const p = app.sseParser((event, data, id) => events.push(withIds ? [event, data, id] : [event, data]));
  chunks.forEach((c) => p.push(c));
  return events;
}
const op = JSON.stringify({ id: 'op1', state: 'Running', steps: [] });
assert.deepEqual(parse([`event: operation\ndata: ${op}\n\nevent: end\ndata: {}\n\n`]),
  [['operation', op], ['end', '{}']]);
assert.deepEqual(parse(['event: oper', 'ation\nda', `ta: ${op}\n`, '\n']), [['operation', op]]);
assert.deepEqual(parse(['event: a\r', '\ndata: 1\r\n\r', '\n']), [['a', '1']]);
assert.deepEqual(parse([': keep-alive\n\ndata: x\ndata: y\n\n']), [['message', 'x\ny']]);
assert.deepEqual(parse(['event: nothing\n\n', 'data:no-space\n\n']), [['message', 'no-space']]);
assert.deepEqual(parse(['data: incomplete\n']), []);
// Ids: an event's id is the last one the stream set; "end" has none and keeps the previous;
// an id line on an event without data still counts; a NUL in the id is ignored.
assert.deepEqual(parse(['id: 1\nevent: operation\ndata: {}\n\n', 'id: 2\nevent: step\ndata: {"index":0}\n\n',
  'event: end\ndata: {}\n\n'], true),
[['operation', '{}', '1'], ['step', '{"index":0}', '2'], ['end', '{}', '2']]);
assert.deepEqual(parse(['data: a\n\n', 'id: 7\n\n', 'id: 8\0\ndata: b\n\n'], true), [['message', 'a', ''], ['message', 'b', '7']]);

// Field errors find their form field.
assert.deepEqual(app.fieldCandidates('dns[1]'), ['dns[1]', 'dns']);
assert.deepEqual(app.fieldCandidates('placement.datastore'), ['placement.datastore', 'placement']);
assert.deepEqual(app.fieldCandidates('worker_pools[0].cpus'), ['worker_pools[0].cpus', 'worker_pools[0]', 'worker_pools']);
assert.deepEqual(app.fieldCandidates('addons.antrea.traffic_encryption'),
  ['addons.antrea.traffic_encryption', 'addons.antrea', 'addons']);

// Form names become the request body.
const spec = {};
app.setPath(spec, 'name', 'dev');
app.setPath(spec, 'control_plane.cpus', 2);
app.setPath(spec, 'worker_pools[0].name', 'default');
app.setPath(spec, 'worker_pools[1].replicas', 3);
app.setPath(spec, 'addons.antrea.multicluster', true);
assert.deepEqual(spec, {
  name: 'dev', control_plane: { cpus: 2 },
  worker_pools: [{ name: 'default' }, { replicas: 3 }],
  addons: { antrea: { multicluster: true } },
});

// Placement choices: names where unique in the datacenter, full paths where not.
const pools = [
  { name: 'Resources', path: '/DC0/host/C0/Resources', datacenter: 'DC0' },
  { name: 'web', path: '/DC0/host/C0/Resources/web', datacenter: 'DC0' },
  { name: 'Resources', path: '/DC0/host/C1/Resources', datacenter: 'DC0' },
  { name: 'web', path: '/DC1/host/C0/Resources/web', datacenter: 'DC1' },
];
assert.deepEqual(app.placementChoices(pools, 'DC0'),
  [['/DC0/host/C0/Resources', '/DC0/host/C0/Resources'], ['web', 'web'], ['/DC0/host/C1/Resources', '/DC0/host/C1/Resources']]);
assert.deepEqual(app.placementChoices(pools, 'DC0', '/DC0/host/C0', (o, v) => `${v} (${o.name})`),
  [['/DC0/host/C0/Resources', '/DC0/host/C0/Resources (Resources)'], ['web', 'web (web)']]);
assert.deepEqual(app.placementChoices(undefined, 'DC0'), []);
assert.deepEqual(app.fieldCandidates('name'), ['name']);

// Formatting.
assert.equal(app.fmtBytes(512), '512 B');
assert.equal(app.fmtBytes(1536), '1.5 KiB');
assert.equal(app.fmtBytes(107374182400), '100.0 GiB');
assert.equal(app.fmtBytes(undefined), '—');
assert.equal(app.fmtDuration('2026-01-01T00:00:00Z', '2026-01-01T00:01:05Z'), '1m 05s');
assert.equal(app.fmtDuration('2026-01-01T00:00:00Z', '2026-01-01T02:03:00Z'), '2h 03m');
assert.equal(app.fmtDuration('2026-01-01T00:00:00Z', null, Date.parse('2026-01-01T00:00:09Z')), '9s');
assert.equal(app.fmtDuration(null, null), '');
assert.equal(app.stateClass('Running'), 'state-running');
assert.equal(app.stateClass('x" onclick="y'), 'state-xonclicky');
assert.equal(app.stateClass('AwaitingDecision'), 'state-awaitingdecision');
assert.equal(fmtSeconds(3 * 86400 + 4 * 3600 + 59), '3d 04h');
assert.equal(fmtSeconds(-5), '0s');
const now = Date.parse('2026-12-02T10:00:00Z');
assert.equal(fmtTimeLeft('2026-12-03T09:59:00Z', now), 'in 23h 59m');
assert.equal(fmtTimeLeft('2026-12-02T09:55:00Z', now), 'passed 5m 00s ago');
assert.equal(fmtTimeLeft('', now), '');
assert.deepEqual(['Pending', 'Running', 'AwaitingDecision', 'Succeeded', 'Failed', 'Canceled'].map(isActive),
  [true, true, true, false, false, false]);

// The operations filter's times: a datetime-local value is local time (here India's,
// UTC+5:30); the URL and the API get RFC 3339 in UTC, and the input shows it back.
process.env.TZ = 'Asia/Kolkata';
assert.equal(localToISO('2026-12-02T10:30'), '2026-12-02T05:00:00Z');
assert.equal(isoToLocal('2026-12-02T05:00:00Z'), '2026-12-02T10:30');
assert.equal(isoToLocal('2026-12-02T05:00:00.5+00:00'), '2026-12-02T10:30');
assert.equal(localToISO(''), '');
assert.equal(localToISO('not a time'), '');
assert.equal(isoToLocal(null), '');

// Who may decide: anyone but a viewer, and anyone when the server does not say.
assert.equal(mayDecide({ name: 'v', role: 'viewer' }), false);
assert.equal(mayDecide({ name: 'o', role: 'operator' }), true);
assert.equal(mayDecide({ name: 'a', role: 'admin' }), true);
assert.equal(mayDecide(null), true);

// Routing.
let r = app.parseHash('#/operations?state=Running&cursor=abc');
assert.equal(r.path, '/operations');
assert.equal(r.params.get('state'), 'Running');
assert.equal(r.params.get('cursor'), 'abc');
assert.equal(app.parseHash('').path, '/vcenters');
assert.equal(app.parseHash('#/operations/op%2F1').path, '/operations/op%2F1');
assert.equal(app.withQuery('/operations', { state: '', kind: 'vcenter.sync' }), '/operations?kind=vcenter.sync');
assert.equal(app.withQuery('/audit', new URLSearchParams()), '/audit');

// The cluster page says what serves the API endpoint: a VIP, or one control plane's address.
const nodes = [{ name: 'a-cp-0', ip: '10.0.0.10' }, { name: 'a-w-0', ip: '10.0.0.11' }];
assert.match(endpointKind({ control_plane_endpoint: '10.0.0.14:6443', nodes }), /virtual IP, kube-vip/);
assert.equal(endpointKind({ control_plane_endpoint: '10.0.0.10:6443', nodes }), "(control plane a-cp-0's address)");
assert.match(endpointKind({ control_plane_endpoint: '[fd00::5]:6443', nodes: [{ name: 'v6', ip: 'fd00::6' }] }), /virtual IP/);
assert.equal(endpointKind({ control_plane_endpoint: '[fd00::6]:6443', nodes: [{ name: 'v6', ip: 'fd00::6' }] }), "(control plane v6's address)");

// The Day-2 node operations are offered while the cluster is Ready or Degraded and idle;
// an upgrade also needs a version to go to.
const ready = { name: 'a', phase: 'Ready', spec: { kubernetes_version: 'v1.36.5' }, upgrade_targets: ['v1.37.2'] };
assert.equal(blockedReason(ready), '');
assert.equal(upgradeReason(ready), '');
assert.equal(blockedReason({ ...ready, phase: 'Degraded' }), '');
assert.equal(blockedReason({ ...ready, phase: 'Provisioning' }), 'Cluster a is Provisioning: its nodes are changed when it is Ready or Degraded.');
assert.equal(blockedReason({ ...ready, phase: 'Updating', operation: { id: 'o1', kind: 'cluster.upgrade', state: 'Running' } }),
  'Cluster a is busy with cluster.upgrade (Running).');
assert.equal(upgradeReason({ ...ready, upgrade_targets: [] }), 'v1.36.5 is the newest version it can run: there is nothing to upgrade to.');
assert.equal(upgradeReason({ ...ready, phase: 'Failed', upgrade_targets: [] }), 'Cluster a is Failed: its nodes are changed when it is Ready or Degraded.');
assert.equal(paramsText({ drain_timeout: '10m0s', pool: 'gpu', replicas: 3, added: true, nested: { a: 1 } }),
  'drain timeout 10m0s · pool gpu · replicas 3 · added true · nested {"a":1}');

console.log('ok');
