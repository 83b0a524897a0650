// The shared conformance fixture: the cases of test/fixtures/published.json and computed.json whose expected value
// is one number, as plain data for test/runtimes/conformance.mjs (written into each runtime's sandbox as JSON).
import { readFileSync } from 'node:fs';

const load = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')).cases;

export function conformanceCases() {
  const cases = [];
  for (const c of [...load('published.json'), ...load('computed.json')]) {
    const want64 = c.exact ?? c.expected;
    const want32 = c.exact32 ?? c.expected32;
    if (typeof want64 !== 'number') continue;
    cases.push({ id: c.id, fn: c.fn, args: c.args, opts: c.opts ?? {}, floatArgs: c.floatArgs ?? [], want64, want32 });
  }
  return cases;
}
