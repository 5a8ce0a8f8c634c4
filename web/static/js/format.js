// Formatting of sizes, durations, times and states; pure functions (no DOM).

/** fmtBytes shows a byte count in binary units: 1536 -> "1.5 KiB". */
export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(v) : v.toFixed(1)) + ' ' + units[i];
}

/** fmtSeconds shows a number of seconds as "9s", "1m 05s", "2h 03m" or "3d 04h". */
export function fmtSeconds(seconds) {
  let s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  s %= 60;
  if (d) return `${d}d ${String(h).padStart(2, '0')}h`;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** fmtDuration shows the time between two RFC 3339 times ("" when start is unknown); an
 *  unfinished span runs until now. */
export function fmtDuration(startISO, endISO, now) {
  if (!startISO) return '';
  const start = Date.parse(startISO);
  const end = endISO ? Date.parse(endISO) : (now === undefined ? Date.now() : now);
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  return fmtSeconds((end - start) / 1000);
}

/** stateClass is the CSS class of a state or phase name ("Running" -> "state-running"). */
export function stateClass(state) {
  return 'state-' + String(state || 'unknown').toLowerCase().replace(/[^a-z]/g, '');
}

/** isActive says whether an operation in this state still holds its target. */
export const isActive = (state) => state === 'Pending' || state === 'Running' || state === 'AwaitingDecision';

/** localToISO turns a datetime-local input's value (local time) into an RFC 3339 time in
 *  UTC, "" when it is empty or not a time. */
export function localToISO(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.000Z$/, 'Z');
}

/** isoToLocal is the datetime-local value (local time, to the minute) of an RFC 3339 time. */
export function isoToLocal(iso) {
  const d = new Date(iso || '');
  if (!iso || Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** fmtTimeLeft says how long until a deadline: "in 23h 59m", or "passed 5m 00s ago". */
export function fmtTimeLeft(deadlineISO, now) {
  const deadline = Date.parse(deadlineISO || '');
  if (Number.isNaN(deadline)) return '';
  const s = (deadline - now) / 1000;
  return s >= 0.5 ? `in ${fmtSeconds(s)}` : `passed ${fmtSeconds(-s)} ago`;
}
