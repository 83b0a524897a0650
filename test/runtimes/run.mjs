// Node (ESM), Deno and Bun: import 'xent' as a dependency (so the runtime's own `exports` condition picks the
// entry), run the conformance modes given as arguments, print one XENT_RESULT line.
import * as xent from 'xent';
import cases from './cases.mjs';
import { runModes } from './conformance.mjs';

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const results = await runModes(xent, cases, args);
console.log('XENT_RESULT ' + JSON.stringify({ entry: import.meta.resolve('xent'), results }));
