// xent/parallel in a cross-origin isolated page (served with COOP and COEP): a Pool of two module Web Workers must
// give the one-thread call's bits, on shared and on plain logits and on logits in the pool's shared wasm memory
// (pool.allocate(): read in place, the shared-memory build fetched from dist/wasm/), reject bad input with its error,
// and close.
import { init, softmaxCrossEntropy } from '/dist/index.js';
import { createPool, sharedArray } from '/dist/parallel.js';

const out = { isolated: self.crossOriginIsolated, checks: [], error: null };
try {
  await init();
  if (!self.crossOriginIsolated) {
    // Not isolated: no shared memory, so the pool copies, and its allocations are refused with a clear error.
    const pool = await createPool({ workers: 1 });
    out.inPlace = pool.inPlace;
    try { pool.allocate('float32', 4); } catch (e) { out.refused = `${e.code}: ${e.message}`; }
    await pool.close();
    throw null;
  }
  const rows = 9, classes = 3000;
  const shared = sharedArray(rows * classes);
  let s = 7;
  for (let i = 0; i < shared.length; i++) {
    s = (s * 16807) % 2147483647;
    shared[i] = (s / 2147483647) * 12 - 6;
  }
  const plain = Float64Array.from(shared);
  const labels = Array.from({ length: rows }, (_, r) => (r * 977) % classes);
  const pool = await createPool({ workers: 2 });
  out.inPlace = pool.inPlace;
  const inPool = pool.allocate('float32', shared.length).view();
  inPool.set(shared);
  for (const [name, x] of [['shared float32', shared], ['plain float64', plain], ['in place float32', inPool]]) {
    for (const reduction of ['mean', 'sum', 'none']) {
      const want = softmaxCrossEntropy(x, labels, { classes, reduction });
      const got = await pool.softmaxCrossEntropy(x, labels, { classes, reduction });
      const same = typeof want === 'number' ? Object.is(got, want) : want.every((v, i) => Object.is(v, got[i]));
      out.checks.push({ name: `${name}, ${reduction}`, same, value: typeof want === 'number' ? want : want[0] });
    }
  }
  const bad = labels.map((v, i) => (i === 7 ? classes : v));
  let want = null, got = null;
  try { softmaxCrossEntropy(shared, bad, { classes }); } catch (e) { want = `${e.code}: ${e.message}`; }
  try { await pool.softmaxCrossEntropy(shared, bad, { classes }); } catch (e) { got = `${e.code}: ${e.message}`; }
  out.checks.push({ name: 'bad label', same: want !== null && want === got, value: got });
  got = null;
  try { await pool.softmaxCrossEntropy(inPool, bad, { classes }); } catch (e) { got = `${e.code}: ${e.message}`; }
  out.checks.push({ name: 'bad label, in place', same: want !== null && want === got, value: got });
  await pool.close();
  try { await pool.softmaxCrossEntropy(shared, labels, { classes }); } catch (e) { out.closed = e.code; }
} catch (e) {
  if (e !== null) out.error = String(e && e.stack || e);
}
window.__xent = out;
