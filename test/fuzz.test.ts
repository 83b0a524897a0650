/**
 * Property-based fuzzing of every public function and the Evaluator (issue 8): CI runs FUZZ_CI_RUNS cases per
 * function and backend (dtypes, shapes, containers and defects are drawn inside each case) from a fixed seed.
 * Each case: the value equals the float64 reference within the stated bound, or the error code is one of the
 * codes of the defects put into the input; no argument is mutated; no NaN escapes except the documented empty mean.
 * `npm run fuzz` runs the same properties with 100,000+ cases per function (scripts/fuzz.mjs).
 */
import { describe, expect, it } from 'vitest';
import {
  binaryCrossEntropy, binaryEntropy, categoricalFocalCrossEntropy, entropy, jsDivergence, binaryFocalCrossEntropy, categoricalCrossEntropy, crossEntropy, init, jsDistance, klDivergence, nllLoss,
  softmaxCrossEntropy,
} from '../src/index.js';
import { fuzzBackend } from './fuzz/ci.js';

// The wasm half runs here, the js half in test/fuzz/js.test.ts (a second file, so vitest runs the halves in parallel).
fuzzBackend('wasm');

// The bugs the fuzzer found: the fixed ones stay here as regression tests; the open ones (test/fuzz/known.ts) are
// pinned with `it.fails` asserting the documented behaviour, so fixing one turns its test red: then drop the `.fails`
// and the KNOWN_BUGS entry, and the property checks those cases again.
function codeOf(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return (e as { code?: string; name?: string }).code ?? `${(e as Error).name}`;
  }
}

describe('fuzz: known bugs (repros)', () => {
  it('null-q: crossEntropy(p, null) is INVALID_TYPE, not a TypeError', () => {
    for (const f of [crossEntropy, klDivergence, jsDistance]) expect(codeOf(() => f([0.5, 0.5], null as never))).toBe('INVALID_TYPE');
  });
  it('base below 1: rejected as INVALID_OPTION (it would make information negative and jsDistance NaN)', () => {
    expect(codeOf(() => jsDistance([1, 0], [0, 1], { base: 0.5 }))).toBe('INVALID_OPTION');
  });
  it('dense-smoothing-1: labelSmoothing 1 with a zero-probability target class gives Infinity', () => {
    expect(categoricalCrossEntropy([[0, 1]], [[1, 0]], { labelSmoothing: 1 })).toBe(Infinity);
    expect(nllLoss([[-Infinity, 0]], [[1, 0]], { labelSmoothing: 1 })).toBe(Infinity);
  });
  // Documented (README, Errors): entries the result does not depend on are not examined, as in PyTorch.
  it('unread entries: ignored rows and columns a loss never reads are not examined', () => {
    const ignored = softmaxCrossEntropy([[NaN, 0], [1, 2]], [-100, 0], { ignoreIndex: -100 });
    expect(ignored).toBe(softmaxCrossEntropy([[1, 2]], [0]));
    expect(softmaxCrossEntropy([[Infinity, 0], [1, 2]], [-100, 0], { ignoreIndex: -100 })).toBe(ignored);
    expect(nllLoss([NaN, -1], 1)).toBe(1);
    // A row weighing 0 is a mean over zero weight: the documented NaN, not a value computed from the NaN.
    expect(softmaxCrossEntropy([NaN, 0], 1, { weight: [1, 0] })).toBeNaN();
  });
  it('kl-tiny-rows: the TypeScript KL kernel keeps terms of ~1e-111, as the wasm kernel does', async () => {
    await init({ backend: 'js' });
    const p = new Float64Array([1, 1.747244825560979e-208, 1.371853691026715e-112, 3.53646289773081e-185]);
    const q = new Float64Array([1, 3.4201014632819603e-62, 5.602493489852951e-106, 4.24001205597788e-80]);
    const v = klDivergence(p, q);
    await init({ backend: 'wasm' });
    expect(Math.abs(v - -2.088312435220261e-111)).toBeLessThan(1e-120);
  });
  it('js-subnormal: jsDivergence([1, 5e-324], [1, 0]) is finite (≈ 0) on wasm', async () => {
    await init({ backend: 'wasm' });
    expect(jsDivergence([1, 5e-324], [1, 0])).toBeLessThan(1e-300);
  });
  it('inf-minus-inf: a row holding +Infinity and -Infinity is INVALID_PROBABILITY, not INTERNAL', () => {
    expect(codeOf(() => binaryEntropy([Infinity, -Infinity]))).toBe('INVALID_PROBABILITY');
    expect(codeOf(() => entropy([Infinity, -Infinity]))).toBe('INVALID_PROBABILITY');
    expect(codeOf(() => categoricalFocalCrossEntropy([Infinity, -Infinity], 0))).toBe('INVALID_PROBABILITY');
  });
  it('jsDistance-negative-divergence: jsDistance of near-identical rows is a number ≥ 0 on wasm', async () => {
    await init({ backend: 'wasm' });
    const p = new Float64Array([6.203840370969903e-281, 1.588387455025585e-149, 1]);
    const q = new Float64Array([8.59325846016703e-17, 3.6542584544156e-309, 0.9999999999999999]);
    expect(jsDistance(p, q)).toBeGreaterThanOrEqual(0);
  });
  it('weighted-subnormal-target: t = 5e-324 at p = 0 costs Infinity whatever its weight (wasm)', async () => {
    await init({ backend: 'wasm' });
    expect(Array.from(binaryCrossEntropy([[0]], [[5e-324]], { weight: [0.5], reduction: 'none' }))).toEqual([Infinity]);
    const two = binaryCrossEntropy([[0, 0.5]], [[5e-324, 0.5]], { weight: [0.5, 1], reduction: 'none' });
    expect(two[0]).toBe(Infinity); // the vector lanes (the row above took the scalar tail)
    expect(two[1]).toBeCloseTo(Math.LN2, 15);
    // Categorical losses weigh a class by the float64 coefficient w·t (0 when it rounds to 0, as the c_j of softmax
    // cross-entropy); the float32 lanes must not let it round to 0 sooner (1e-45 · 0.25 is 0 in float32).
    const t32 = new Float32Array([1e-45, 1, 0, 0, 0, 0, 0, 0]);
    const q32 = new Float32Array([0, 0.5, 0.25, 0.25, 0, 0, 0, 0]);
    const w = [0.25, 1, 1, 1, 1, 1, 1, 1];
    expect(categoricalCrossEntropy(q32, t32, { weight: w, normalize: false })).toBe(Infinity);
    // ... nor at a normal q: a mean over the total weight 0.001 · 8.4e-45 is that class's loss, not 0
    const q = new Float32Array([2.4339766e-11, 1, 0, 0]);
    const mean = categoricalCrossEntropy(q, new Float32Array([8.4e-45, 1, 0, 0]), { weight: [0.001, 0, 1, 1], normalize: false });
    expect(Math.abs(mean / -Math.log(q[0]) - 1)).toBeLessThan(1e-6);
  });
});
