// Checks the project switcher's choices and the project page's quota figures under node;
// run by TestPortalJSHelpers.
import assert from 'node:assert/strict';
import { mayEditMembers, QUOTAS, quotaUse } from '../static/js/pages/projects.js';
import { newClusterProject, projectChoices, settle } from '../static/js/project-switch.js';

const admin = { all: true, names: ['default', 'team-a', 'team-b'] };
const member = { all: false, names: ['team-a', 'team-b'] };

// "All projects" only for who sees all; anyone else always works in one project.
assert.deepEqual(projectChoices(admin), [['', 'All projects'], ['default', 'default'], ['team-a', 'team-a'], ['team-b', 'team-b']]);
assert.deepEqual(projectChoices(member), [['team-a', 'team-a'], ['team-b', 'team-b']]);
assert.equal(settle('', admin), '');
assert.equal(settle('team-b', admin), 'team-b');
assert.equal(settle('gone', admin), '', 'a project no longer seen is dropped');
assert.equal(settle('', member), 'team-a', 'a member starts in its first project');
assert.equal(settle('team-b', member), 'team-b');
assert.equal(settle('default', member), 'team-a', "another token's choice is dropped");
assert.equal(settle('team-a', { all: true, names: [] }), 'team-a', 'kept when the list could not be read');
assert.equal(settle('', { all: false, names: [] }), '');

// The new-cluster form proposes the switcher's project, else default where allowed.
assert.equal(newClusterProject('team-b', admin), 'team-b');
assert.equal(newClusterProject('', admin), 'default');
assert.equal(newClusterProject('', member), 'team-a');
assert.equal(newClusterProject('', { all: false, names: ['default', 'x'] }), 'default');

// Quota figures: used / quota with the unit, the share, warning from 90 %.
const q = Object.fromEntries(QUOTAS.map((x) => [x.key, x]));
assert.deepEqual(quotaUse(q.vcpus, 12, 16), { text: '12 / 16 vCPUs', share: 0.75, level: 'ok' });
assert.equal(quotaUse(q.vcpus, 14, 16).level, 'ok');
assert.equal(quotaUse(q.vcpus, 15, 16).level, 'warn');
assert.equal(quotaUse(q.clusters, 1, 1).text, '1 / 1 cluster');
assert.equal(quotaUse(q.clusters, 1, 1).level, 'warn');
assert.equal(quotaUse(q.nodes, 11, 10).level, 'over');
assert.deepEqual(quotaUse(q.nodes, 3, null), { text: '3 nodes', share: null, level: 'none' });
assert.equal(quotaUse(q.memory_mib, 49152, 65536).text, '48.0 GiB / 64.0 GiB');
assert.equal(quotaUse(q.disk_gib, 100, null).text, '100.0 GiB');
assert.equal(quotaUse(q.vcpus, undefined, 8).text, '0 / 8 vCPUs');
assert.equal(quotaUse(q.vcpus, 2, 0).level, 'over', 'any use of a zero quota is over it');

// Members are edited by the project's admins and platform admins.
assert.equal(mayEditMembers({ platform_role: 'admin', projects: {} }, 'team-a'), true);
assert.equal(mayEditMembers({ role: 'admin', projects: { 'team-a': 'admin' } }, 'team-a'), true);
assert.equal(mayEditMembers({ role: 'admin', projects: { 'team-a': 'admin', 'team-b': 'operator' } }, 'team-b'), false);
assert.equal(mayEditMembers({ platform_role: 'operator', projects: {} }, 'team-a'), false);
assert.equal(mayEditMembers(null, 'team-a'), true, 'unknown caller: the server decides');
console.log('ok: projects');
