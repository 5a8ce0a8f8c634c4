// Clusterwright portal: a small single-page app over the REST API (/api/v1, see API.md),
// in ES modules loaded by the browser as they are (no build step):
//   router.js  URL -> page; pages/*.js one module per page
//   api.js     the API client (token, problems, event streams); sse.js parses the streams
//   events.js  an operation's event stream; waterfall.js its timeline
//   dom.js, forms.js, lists.js, format.js, nav.js, session.js  the pieces pages share
// Rules every module keeps:
//   * Data reaches the DOM only as text (el() and textContent), never through innerHTML.
//   * No inline handlers or scripts: the page's Content-Security-Policy forbids them, so
//     every listener is attached with addEventListener.
// Module scripts run after the document is parsed, so the app starts at once.
import { start } from './router.js';

start();
