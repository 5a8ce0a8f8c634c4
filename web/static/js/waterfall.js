// The operation's timeline as a waterfall: one time axis from the operation's start to its
// end (or now, while it runs); a row per step; in it a band per run of the step (a person's
// retry starts a new run), a bar per attempt inside the runs, and the time spent waiting
// for a decision between them. Where the time went is seen at a glance; hovering a bar
// tells its attempt, duration and error.
import { el, replace } from './dom.js';
import { fmtDuration, fmtSeconds, isActive, stateClass } from './format.js';

/** Tick spacings of the axis, in seconds. */
const TICK_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
const MAX_TICKS = 6;

const ms = (iso) => (iso ? Date.parse(iso) : NaN);
const round = (x) => Math.round(x * 100) / 100;
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** tickLabel is a compact offset from the start: "0", "30s", "5m", "2h", "1m 30s". */
function tickLabel(s) {
  if (s === 0) return '0';
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return fmtSeconds(s);
}

/** waterfallLayout places an operation's runs, attempts and waits on one axis, in percent
 *  of its width: {ticks: [{left, label}], rows: [{key, name, state, note, bars}]}, each bar
 *  {key, kind: "run"|"attempt"|"wait", state, left, width, label, labelEnd, title}; labelEnd
 *  says the label is drawn leftwards from the bar's end. The axis runs
 *  from the operation's creation to its end, or to now while it is active; anything
 *  unfinished ends there too. No bar is narrower than minWidth, so a blink still shows. */
export function waterfallLayout(op, now, minWidth = 0.5) {
  const steps = op.steps || [];
  const runs = steps.map((s) => s.runs || []);
  const starts = [ms(op.created_at)];
  const ends = [ms(op.finished_at)];
  runs.flat().forEach((r) => {
    starts.push(ms(r.started_at));
    ends.push(ms(r.finished_at));
    (r.attempts || []).forEach((a) => ends.push(ms(a.finished_at)));
  });
  if (isActive(op.state)) ends.push(now);
  const finite = (xs) => xs.filter((x) => Number.isFinite(x));
  const start = finite(starts).length ? Math.min(...finite(starts)) : now;
  const end = Math.max(start + 1000, ...finite(ends));
  const span = end - start;
  const pos = (t) => Math.min(100, Math.max(0, ((t - start) / span) * 100));

  function bar(key, kind, state, from, to, title, label) {
    let left = pos(from);
    const width = Math.max(pos(Number.isFinite(to) ? to : end) - left, minWidth);
    if (left + width > 100) left = 100 - width;
    // A label runs right from the bar's start in the axis's first half, and left from its
    // end in the second, so that it stays on the axis however narrow the bar.
    return { key, kind, state, left: round(left), width: round(width), label: label || '', labelEnd: left > 50, title };
  }
  const dur = (from, to) => fmtSeconds(((Number.isFinite(to) ? to : end) - from) / 1000);

  const rows = steps.map((s, i) => {
    const bars = [];
    const stepRuns = runs[i];
    stepRuns.forEach((r, k) => {
      const from = ms(r.started_at);
      if (!Number.isFinite(from)) return;
      const to = ms(r.finished_at);
      const retried = r.run > 1;
      const prev = stepRuns[k - 1];
      const waitFrom = prev ? ms(prev.finished_at) : NaN;
      if (Number.isFinite(waitFrom) && from > waitFrom) {
        bars.push(bar(`w${r.run}`, 'wait', 'waiting', waitFrom, from,
          `${s.name}: waited ${dur(waitFrom, from)} for a decision; retried by ${r.actor || 'someone'}`));
      }
      const attempts = r.attempts || [];
      bars.push(bar(`r${r.run}`, 'run', r.state, from, to,
        `${s.name}, run ${r.run} (${retried ? 'retried' : 'started'} by ${r.actor || 'unknown'}): ${r.state}, ` +
        dur(from, to) + (attempts.length ? `, ${plural(attempts.length, 'attempt')}` : '') + (r.error ? `\n${r.error}` : ''),
        retried ? `run ${r.run} · retried by ${r.actor || 'someone'}` : ''));
      attempts.forEach((a) => {
        const aFrom = ms(a.started_at);
        if (!Number.isFinite(aFrom)) return;
        const aTo = ms(a.finished_at);
        const which = `attempt ${a.attempt}` + (stepRuns.length > 1 ? ` of run ${r.run}` : '');
        bars.push(bar(`r${r.run}a${a.attempt}`, 'attempt', a.state, aFrom, aTo,
          `${s.name}, ${which}: ${a.state}, ${dur(aFrom, aTo)}` + (a.error ? `\n${a.error}` : '')));
      });
    });
    const d = op.decision;
    if (op.state === 'AwaitingDecision' && d && d.step === s.name) {
      const last = stepRuns[stepRuns.length - 1];
      const from = Number.isFinite(ms(d.since)) ? ms(d.since) : ms(last && last.finished_at);
      if (Number.isFinite(from)) {
        bars.push(bar('waiting', 'wait', 'waiting', from, NaN,
          `${s.name}: waiting for a decision for ${dur(from, NaN)}` + (d.deadline ? ` (deadline ${d.deadline})` : '') +
          (d.reason ? `\n${d.reason}` : ''), 'waiting for a decision'));
      }
    }
    const retriers = [...new Set(stepRuns.filter((r) => r.run > 1).map((r) => r.actor || 'someone'))];
    const attempts = s.attempts || 0;
    const note = [attempts > 1 ? plural(attempts, 'attempt') : '', retriers.length ? `retried by ${retriers.join(', ')}` : '']
      .filter(Boolean).join(' · ');
    return { key: `${i}:${s.name}`, name: s.name, state: s.state, note, bars };
  });

  const spanS = span / 1000;
  const every = TICK_SECONDS.find((t) => spanS / t <= MAX_TICKS) || TICK_SECONDS[TICK_SECONDS.length - 1];
  const ticks = [];
  for (let k = 0; k * every <= spanS; k++) ticks.push({ left: round(pos(start + k * every * 1000)), label: tickLabel(k * every) });
  return { start, end, ticks, rows };
}

/** sync makes parent's children the nodes of items, in order, reusing the node made for
 *  an item's key before (so that a bar under the mouse keeps its tooltip while the
 *  timeline moves) and dropping the rest. */
function sync(parent, made, items, create, update) {
  const keep = new Set();
  items.forEach((item, i) => {
    let rec = made.get(item.key);
    if (!rec) {
      rec = create(item);
      made.set(item.key, rec);
    }
    update(rec, item);
    if (parent.children[i] !== rec.node) parent.insertBefore(rec.node, parent.children[i] || null);
    keep.add(item.key);
  });
  for (const [key, rec] of made) {
    if (!keep.has(key)) {
      rec.node.remove();
      made.delete(key);
    }
  }
}

function position(node, left, width) {
  node.style.left = `${left}%`;
  if (width !== undefined) node.style.width = `${width}%`;
}

/** waterfall is the timeline's element and update(op, now), which redraws it in place. */
export function waterfall() {
  const axis = el('div', { class: 'wf-track wf-axis' });
  const grid = el('div', { class: 'wf-grid', 'aria-hidden': 'true' });
  const rows = el('div', { class: 'wf-rows' });
  const empty = el('p', { class: 'empty' }, 'No step has started yet.');
  const legendItem = (cls, text) => el('span', { class: 'wf-key' }, el('span', { class: 'wf-swatch ' + cls }), text);
  const node = el('figure', { class: 'waterfall' },
    el('div', { class: 'wf-row wf-head' }, el('div', { class: 'wf-label muted' }, 'step'), axis),
    el('div', { class: 'wf-body' }, grid, rows), empty,
    el('figcaption', { class: 'wf-legend muted' },
      legendItem('state-succeeded', 'succeeded'), legendItem('state-failed', 'failed'),
      legendItem('state-running', 'running'), legendItem('state-waiting', 'waiting for a decision'),
      legendItem('wf-run-swatch', 'run (a retry starts a new one)'),
      ' Hover a bar for its attempt, duration and error.'));
  const made = new Map();

  function createRow() {
    const name = el('span', { class: 'wf-name' });
    const note = el('span', { class: 'wf-note' });
    const track = el('div', { class: 'wf-track' });
    return { node: el('div', { class: 'wf-row' }, el('div', { class: 'wf-label' }, name, note), track), name, note, track, bars: new Map() };
  }
  function updateRow(rec, row) {
    rec.node.className = 'wf-row ' + stateClass(row.state);
    rec.name.textContent = row.name;
    rec.name.title = `${row.name}: ${row.state}`;
    rec.note.textContent = row.note;
    sync(rec.track, rec.bars, row.bars, () => {
      const label = el('span', { class: 'wf-bar-label' });
      return { node: el('div', {}, label), label };
    }, (bar, b) => {
      bar.node.className = `wf-bar wf-${b.kind} ${stateClass(b.state)}${b.labelEnd ? ' wf-label-end' : ''}`;
      bar.node.title = b.title;
      bar.label.textContent = b.label;
      position(bar.node, b.left, b.width);
    });
  }

  function update(op, now) {
    const layout = waterfallLayout(op, now);
    replace(axis, layout.ticks.map((t) => {
      const tick = el('span', { class: 'wf-tick' }, t.label);
      position(tick, t.left);
      return tick;
    }));
    replace(grid, layout.ticks.map((t) => {
      const line = el('span', { class: 'wf-line' });
      position(line, t.left);
      return line;
    }));
    sync(rows, made, layout.rows, createRow, updateRow);
    empty.hidden = layout.rows.some((r) => r.bars.length > 0);
    node.setAttribute('aria-label', `Timeline of ${plural(layout.rows.length, 'step')}, ${fmtDuration(new Date(layout.start).toISOString(), new Date(layout.end).toISOString())} in all`);
  }
  return { node, update };
}
