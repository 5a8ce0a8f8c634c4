// An operation's event stream (GET /api/v1/operations/{id}/events): every change of the
// operation is an event numbered 1, 2, 3, ... in a durable log.
//   event: operation  the operation without its steps (state, error, decision, times)
//   event: step       one step, whole (runs and attempts), plus "index", its position
//   event: end        the operation ended; the server closes the stream
// A reconnecting client sends the id of the last event it applied (Last-Event-ID) and
// gets every event after it, none twice.
import { ApiError, enc, readEvents } from './api.js';
import { sleep } from './dom.js';

/** applyEvent returns op changed by one event of its stream (op itself is not changed).
 *  An "operation" event replaces every field but the steps: a field it lacks is gone
 *  (the decision, once decided). A "step" event replaces steps[index], or appends the
 *  step when index is the number of steps; any other index, or another event, leaves op
 *  as it is. Steps change only through step events. */
export function applyEvent(op, event, data) {
  if (event === 'operation') return Object.assign({}, data, { steps: op.steps || [] });
  if (event === 'step') {
    const steps = (op.steps || []).slice();
    const { index, ...step } = data;
    if (!Number.isInteger(index) || index < 0 || index > steps.length) return op;
    steps[index] = step;
    return Object.assign({}, op, { steps });
  }
  return op;
}

/** followOperation applies each event of the operation's stream to the operation that
 *  current() returns and hands the result to onChange, until the server says "end" or
 *  signal aborts. A broken stream is reopened with backoff from the last event applied
 *  (Last-Event-ID). status(text, on) reports the connection for the page to show. */
export async function followOperation({ id, signal, current, onChange, status }) {
  let lastId = '';
  const onEvent = (event, data, eventId) => {
    let value;
    try {
      value = JSON.parse(data);
    } catch (_) {
      value = null; // a malformed event is skipped, not retried forever
    }
    if (value && typeof value === 'object') onChange(applyEvent(current(), event, value));
    if (eventId) lastId = eventId;
  };
  for (let failures = 0; failures < 8 && !signal.aborted;) {
    status('● live', true);
    try {
      if (await readEvents(`/operations/${enc(id)}/events`, signal, onEvent, lastId)) {
        status('finished', false);
        return;
      }
      failures = 0; // a stream that closed after working is not a failure in a row
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
        status(`live updates unavailable (${err.status}: ${err.message})`, false);
        return;
      }
      failures++;
    }
    status('reconnecting…', false);
    await sleep(Math.min(1000 * 2 ** failures, 15000), signal);
  }
  if (!signal.aborted) status('live updates stopped; reload to retry', false);
}
