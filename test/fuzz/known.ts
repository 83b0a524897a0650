/**
 * Library bugs the fuzzer found, not fixed yet (src/ is not the fuzzer's to change). A failing case that matches one
 * of these is counted as `known:<id>` instead of failing the run; test/fuzz.test.ts pins each with an `it.fails`
 * repro, so that fixing the bug turns that test red until its entry here and its `.fails` are removed.
 */
import type { KnownBug } from './runner.js';

const returnedInsteadOf = (p: string, code: string) => p.startsWith('returned') && new RegExp(`expected an error ${code}( \\| ${code})*$`).test(p);

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    // Not a bug, documented (README, Errors): entries the result does not depend on — ignored rows, rows weighing 0,
    // the columns nllLoss never reads — are not examined, as in PyTorch; the fuzzer's defects do not know that.
    id: 'unread-entries-by-design',
    matches: (c, p) => ['softmaxCrossEntropy', 'perplexity', 'nllLoss', 'binaryFocalCrossEntropy'].includes(c.fn)
      && returnedInsteadOf(p, 'NON_FINITE'),
  },
  {
    // KL rows whose value is tiny (|KL| < 1e-20, p ≈ q, terms of 1e-40…1e-120) lose relative accuracy beyond the
    // scale-aware bound; the TypeScript kernel even returns 0 for a row of ~1e-111 (wasm returns it)
    id: 'kl-tiny-rows',
    matches: (c, p) => c.fn === 'klDivergence' && /got -?[\d.e+-]+, expected (-?[\d.e+-]+)/.test(p)
      && Math.abs(Number(/expected (-?[\d.e+-]+)/.exec(p)![1])) < 1e-20,
  },
  {
    // a subnormal target times a weight < 1 underflows to 0 before it multiplies log p (= −Infinity at p = 0), so an
    // Infinity loss becomes finite (binary), or a subnormal w·t row weight is lost (categorical, float32)
    id: 'weighted-subnormal-target',
    matches: (c, p) => (c.fn === 'binaryCrossEntropy' || c.fn === 'categoricalCrossEntropy')
      && /^(\[\d+\] )?got /.test(p) && (c.args[2] as { weight?: unknown } | undefined)?.weight !== undefined,
  },
];
