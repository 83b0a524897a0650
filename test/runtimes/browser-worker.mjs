// Starts browser.mjs in a module Worker and hands its report to the page.
const worker = new Worker(`/t/browser.mjs?modes=${new URL(import.meta.url).searchParams.get('modes')}`, { type: 'module' });
worker.onmessage = (e) => (window.__xent = e.data);
worker.onerror = (e) => (window.__xent = { error: `worker: ${e.message}` });
