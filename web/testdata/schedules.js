// Checks the Schedules page's pure parts under node; run by TestPortalJSHelpers: the
// timetable as shown, a run's counts, and the body the New schedule form sends.
import assert from 'node:assert/strict';
import { runCounts, scheduleBody, scheduleWhen } from '../static/js/pages/schedules.js';

assert.equal(scheduleWhen({ cron: '0 3 * * *' }), 'cron 0 3 * * *');
assert.equal(scheduleWhen({ every: '6h', jitter: '10m' }), 'every 6h ±10m');
assert.equal(runCounts({ counts: { succeeded: 1, failed: 0, skipped: 2 } }), '1 succeeded, 0 failed, 2 skipped');
assert.equal(runCounts(undefined), '');

// A backup on every cluster: retention kept, the renewal setting dropped.
assert.deepEqual(scheduleBody({ kind: 'backup', cluster: '', when: 'cron', timetable: '0 3 * * *', jitter: '',
  retention: '14', renew_before_days: '20', paused: false }),
{ kind: 'backup', cluster: '*', cron: '0 3 * * *', retention: 14 });
// A renewal of one cluster, every day, created paused.
assert.deepEqual(scheduleBody({ kind: 'certificate-renewal', cluster: 'east', when: 'every', timetable: '24h', jitter: '5m',
  retention: '3', renew_before_days: '20', paused: true }),
{ kind: 'certificate-renewal', cluster: 'east', every: '24h', jitter: '5m', renew_before_days: 20, paused: true });
// Nothing typed: sent as it is, for the server to name the field.
assert.deepEqual(scheduleBody({ kind: 'certificate-check', cluster: '', when: 'cron', timetable: '' }),
  { kind: 'certificate-check', cluster: '*', cron: '' });
console.log('ok: schedules');
