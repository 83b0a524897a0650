// The conformance check every runtime runs (Node, Deno, Bun, workerd, Chromium): plain JavaScript, no imports, so
// it loads unchanged everywhere. `cases` come from test/fixtures/{published,computed}.json (see cases.mjs); each
// runs with number[] inputs (float64 kernels, expected `exact`) and Float32Array inputs (float32 kernels,
// expected `exact32`).

function decode(v) {
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  return v;
}

function convert(a, f32) {
  if (!f32 || !Array.isArray(a)) return a;
  if (a.length > 0 && Array.isArray(a[0])) return a.map((row) => Float32Array.from(row));
  return Float32Array.from(a);
}

const close = (got, want, rel) =>
  typeof got === 'number' &&
  (Object.is(got, want) || got === want || Math.abs(got - want) <= rel * Math.max(Math.abs(want), 1e-300));

/** Runs every case on the backend now selected; returns counts and the first failures. */
export function check(xent, cases) {
  let passed = 0;
  const failures = [];
  for (const c of cases) {
    for (const f32 of [false, true]) {
      const want = f32 ? c.want32 : c.want64;
      if (typeof want !== 'number') continue;
      const args = decode(c.args).map((a, i) => (c.floatArgs.includes(i) ? convert(a, f32) : a));
      let got;
      try {
        got = xent[c.fn](...args, decode(c.opts ?? {}));
      } catch (e) {
        got = `${e && e.name}: ${e && e.message}`;
      }
      if (close(got, want, f32 ? 1e-6 : 1e-12)) passed++;
      else failures.push({ id: c.id, dtype: f32 ? 'float32' : 'float64', got: String(got), want });
    }
  }
  // A gradient, whose kernels the embedded core build leaves out (src/backend/full.ts): the same loss, on a backend
  // of the same name.
  const name = xent.backend(), x = [[1, 2, 3], [3, 1, 0]], y = [2, 0];
  try {
    const want = xent.softmaxCrossEntropy(x, y), got = xent.softmaxCrossEntropyWithGrad(x, y).loss;
    if (!close(got, want, 1e-12) || xent.backend() !== name) {
      failures.push({ id: 'gradient', dtype: 'float64', got: `${got} on ${xent.backend()}`, want: `${want} on ${name}` });
    }
  } catch (e) {
    failures.push({ id: 'gradient', dtype: 'float64', got: `${e && e.name}: ${e && e.message}`, want: `a loss on ${name}` });
  }
  return { passed, failed: failures.length, failures: failures.slice(0, 5) };
}

/**
 * Runs the cases once per mode and reports which backend ran each time. Modes: 'first-call' (no init(): the
 * synchronous path; must come first), 'init' (`await init()`), 'relaxed' (`init({ relaxedSimd: true })`), 'simd'
 * (`init({ relaxedSimd: false })`), 'scalar' (`init({ simd: false })`), 'js' (`init({ backend: 'js' })`),
 * 'module' (`init({ module })`, the module given in `extra.module`).
 */
export async function runModes(xent, cases, modes, extra = {}) {
  const out = [];
  for (const mode of modes) {
    let error = null;
    try {
      if (mode === 'init') await xent.init();
      else if (mode === 'relaxed') await xent.init({ relaxedSimd: true });
      else if (mode === 'simd') await xent.init({ relaxedSimd: false });
      else if (mode === 'scalar') await xent.init({ simd: false });
      else if (mode === 'js') await xent.init({ backend: 'js' });
      else if (mode === 'module') await xent.init({ module: extra.module });
      else if (mode !== 'first-call') throw new Error(`unknown mode ${mode}`);
    } catch (e) {
      error = String(e && e.message);
    }
    out.push({ mode, backend: xent.backend(), fallbackReason: xent.fallbackReason(), error, ...check(xent, cases) });
  }
  return out;
}
