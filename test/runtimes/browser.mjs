// Chromium pages and the module Worker: the browser entry (dist/index.js) served over http://127.0.0.1.
import * as xent from '/dist/index.js';
import cases from './cases.mjs';
import { runModes } from './conformance.mjs';

const modes = new URL(import.meta.url).searchParams.get('modes').split(',');
const report = async () => ({ results: await runModes(xent, cases, modes) });

if (typeof window === 'undefined') {
  report().then((r) => postMessage(r), (e) => postMessage({ error: String(e) }));
} else {
  report().then((r) => (window.__xent = r), (e) => (window.__xent = { error: String(e) }));
}
