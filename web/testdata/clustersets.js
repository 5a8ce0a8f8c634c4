// Checks the ClusterSet pages' pure parts under node; run by TestPortalJSHelpers: which
// clusters a set may take, the bodies the forms send, the members' ready count and who
// sees the actions.
import assert from 'node:assert/strict';
import { clusterSetBody, joinBody, setCandidates } from '../static/js/pages/clusterset-form.js';
import { memberCount } from '../static/js/pages/clustersets.js';
import { mayOperate } from '../static/js/session.js';

// Candidates: Ready clusters in no set, by name.
const clusters = [
  { name: 'west', phase: 'Ready' },
  { name: 'east', phase: 'Ready', clusterset: { name: 'lab', leader: false } },
  { name: 'lead', phase: 'Ready', clusterset: null },
  { name: 'new', phase: 'Provisioning' },
  { name: 'gone', phase: 'Failed' },
  { name: 'alpha', phase: 'Ready' },
];
assert.deepEqual(setCandidates(clusters).map((c) => c.name), ['alpha', 'lead', 'west']);
assert.deepEqual(setCandidates(undefined), []);

// The new-set body: the leader out of the members, gateways only for the set's clusters
// with nodes chosen, the failure policy only when given.
const choice = {
  name: 'lab', leader: 'lead', members: ['lead', 'west', 'alpha'],
  gateways: { lead: ['lead-cp-0'], west: [], alpha: ['alpha-default-0', 'alpha-default-1'], other: ['x'] },
  gateway_ip_precedence: 'public', endpoint_ip_type: 'PodIP', on_failure: '', decision_timeout: '',
};
assert.deepEqual(clusterSetBody(choice), {
  name: 'lab', leader: 'lead', members: ['west', 'alpha'],
  gateways: { lead: ['lead-cp-0'], alpha: ['alpha-default-0', 'alpha-default-1'] },
  gateway_ip_precedence: 'public', endpoint_ip_type: 'PodIP',
});
// A set of the leader alone, no gateways chosen, a policy given.
assert.deepEqual(clusterSetBody({ name: 'solo', leader: 'lead', members: ['lead'], gateways: { lead: [] },
  gateway_ip_precedence: 'private', endpoint_ip_type: 'ClusterIP', on_failure: 'compensate', decision_timeout: '2h' }), {
  name: 'solo', leader: 'lead', members: [], gateway_ip_precedence: 'private', endpoint_ip_type: 'ClusterIP',
  on_failure: 'compensate', decision_timeout: '2h',
});
// No leader chosen: sent as it is, for the server to name the field.
assert.equal(clusterSetBody({ name: 'x', leader: '', members: ['west'] }).leader, '');
assert.deepEqual(clusterSetBody({ name: 'x', leader: '', members: ['west'] }).members, ['west']);

// The join body.
assert.deepEqual(joinBody('west', []), { cluster: 'west' });
assert.deepEqual(joinBody('west', undefined), { cluster: 'west' });
assert.deepEqual(joinBody('west', ['west-default-0']), { cluster: 'west', gateways: ['west-default-0'] });

// Members ready of all.
assert.equal(memberCount([{ ready: true }, { ready: false }, { ready: true }]), '2 / 3');
assert.equal(memberCount(undefined), '0 / 0');

// Operators and admins see the actions; viewers do not; an unknown role sees them.
assert.equal(mayOperate({ name: 'v', role: 'viewer' }), false);
assert.equal(mayOperate({ name: 'o', role: 'operator' }), true);
assert.equal(mayOperate({ name: 'a', role: 'admin' }), true);
assert.equal(mayOperate(null), true);

console.log('ok');
