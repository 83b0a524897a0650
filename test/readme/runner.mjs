// Runs the README's code blocks (files given as arguments, each an ES module whose stated values call
// globalThis.__readme(id, value)) against the installed package, each from a fresh `await init()` (the default
// backend), and prints one line `README_RESULT <json>`: per block, the values encoded and the error, if any.
import { pathToFileURL } from 'node:url';
import { init } from 'xent';

/** JSON-safe: numbers as strings (NaN, ±Infinity), typed arrays by constructor name. */
function encode(v, depth = 0) {
  if (typeof v === 'number') return { number: String(v) };
  if (v === undefined) return { undefined: true };
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return { json: v };
  if (depth > 4) return { other: 'too deep' };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return { typed: v.constructor.name, items: Array.from(v, (x) => encode(typeof x === 'bigint' ? Number(x) : x)) };
  }
  if (Array.isArray(v)) return { array: v.map((x) => encode(x, depth + 1)) };
  if (typeof v === 'object') {
    const object = {};
    for (const [k, x] of Object.entries(v)) object[k] = encode(x, depth + 1);
    return { object, ctor: v.constructor?.name ?? 'Object' };
  }
  return { other: String(v) };
}

const results = [];
for (const file of process.argv.slice(2)) {
  const values = {};
  globalThis.__readme = (id, v) => {
    values[id] = encode(v);
    return v;
  };
  let error = null;
  try {
    await init();
    await import(pathToFileURL(file).href);
  } catch (e) {
    error = String(e?.stack ?? e);
  }
  results.push({ file, values, error });
}
console.log(`README_RESULT ${JSON.stringify(results)}`);
