// Imports every module of the portal but main.js (which starts the app in a browser), so
// that each import names a module and an export that exist; run by TestPortalJSHelpers.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../static/js/', import.meta.url));
const modules = readdirSync(root, { recursive: true }).filter((f) => f.endsWith('.js') && f !== 'main.js');
for (const f of modules) await import(new URL(f, new URL('../static/js/', import.meta.url)).href);
if (modules.length < 10) throw new Error(`only ${modules.length} modules under static/js`);
console.log(`ok: ${modules.length} modules`);
