// Server-Sent Events parsing (text/event-stream), for streams read with fetch(): the
// browser's EventSource cannot send the Authorization header the API needs.

/** sseParser turns chunks of a text/event-stream into onEvent(event, data, id) calls. It
 *  keeps a partial line (even a CR whose LF has not arrived yet) until the next chunk. As
 *  in EventSource, id is the last event id the stream set, on this event or an earlier
 *  one ('' when none): an event without an id line (the API's "end") keeps the previous. */
export function sseParser(onEvent) {
  let buffer = '';
  let event = '';
  let data = [];
  let lastId = '';
  function line(text) {
    if (text === '') { // a blank line ends the event
      if (data.length) onEvent(event || 'message', data.join('\n'), lastId);
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return; // comment (the server's keep-alive)
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
    else if (name === 'id' && !value.includes('\0')) lastId = value;
  }
  return {
    push(chunk) {
      buffer += chunk;
      const lines = buffer.split(/\r\n|\r(?!$)|\n/);
      buffer = lines.pop();
      lines.forEach(line);
    },
  };
}
