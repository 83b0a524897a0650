/** information, binaryEntropy, entropy, crossEntropy, klDivergence, jsDivergence. */
import { expect, it } from 'vitest';
import {
  binaryEntropy, crossEntropy, entropy, information, jsDivergence, klDivergence,
} from '../src/index.js';
import { describeBackendsDtypes, expectClose, expectXent, flat, held, heldRows, REL, rows, vec } from './helpers.js';
import * as ref from './reference.js';

const P = [[0.2, 0.3, 0.5], [0.05, 0.9, 0.05], [1, 0, 0], [0.25, 0.25, 0.5]];
const Q = [[0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.5, 0.5, 0], [0.25, 0.25, 0.5]];

describeBackendsDtypes('information and binaryEntropy', (_b, d) => {
  it('information of a number is a number, of a vector a Float64Array', () => {
    expectClose(information(0.25), Math.log(4), 1e-15);
    expectClose(information(0.25, { base: 2 }), 2, 1e-15);
    expect(information(1) === 0).toBe(true); // −log 1 may be −0
    expect(information(0)).toBe(Infinity);
    const v = information(vec([0.5, 0.1, 1e-300, 1, 0], d) as any);
    expect(v).toBeInstanceOf(Float64Array);
    const h = held([0.5, 0.1, 1e-300, 1, 0], d);
    expectClose(v, h.map(ref.information), REL[d], 1e-300);
    expectClose(information(vec([0.001, 0.5], d) as any, { base: 10 }), held([0.001, 0.5], d).map((p) => -Math.log(p) / Math.LN10), REL[d]);
  });

  it('binaryEntropy: 0 and 1 give exactly 0, 1/2 gives one bit', () => {
    expect(binaryEntropy(0)).toBe(0);
    expect(binaryEntropy(1)).toBe(0);
    expectClose(binaryEntropy(0.5, { base: 2 }), 1, 1e-15);
    expectClose(binaryEntropy(0.5), Math.LN2, 1e-15);
    const xs = [0, 1e-12, 0.1, 0.5, 0.7, 1 - 1e-9, 1];
    const v = binaryEntropy(vec(xs, d) as any);
    expect(v).toBeInstanceOf(Float64Array);
    expectClose(v, held(xs, d).map(ref.binaryEntropy), REL[d], 1e-300);
  });
});

describeBackendsDtypes('entropy and cross-entropy of distributions', (_b, d) => {
  const hp = heldRows(P, d);
  const hq = heldRows(Q, d);

  it('entropy of one vector is a number; a batch reduces (mean / sum / none)', () => {
    expectClose(entropy(vec(P[0], d) as any), ref.entropy(hp[0]), REL[d]);
    const per = hp.map(ref.entropy);
    expectClose(entropy(rows(P, d) as any, { reduction: 'none' }), per, REL[d], 1e-300);
    expectClose(entropy(rows(P, d) as any), per.reduce((a, b) => a + b) / 4, REL[d]);
    expectClose(entropy(flat(P, d) as any, { classes: 3, reduction: 'sum' }), per.reduce((a, b) => a + b), REL[d]);
    expectClose(entropy(flat(P, d) as any, { classes: 3, reduction: 'none', base: 2 }), per.map((v) => v / Math.LN2), REL[d], 1e-300);
  });

  it('uniform distribution over 50,257 outcomes has entropy log 50257', () => {
    const n = 50257;
    const u = new Array(n).fill(1 / n);
    const x = vec(u, d);
    expectClose(entropy(x as any), ref.entropy(held(u, d)), REL[d]);
    expectClose(entropy(x as any), Math.log(n), d === 'Float32Array' ? 1e-6 : 1e-12);
  });

  it('cross-entropy: 0·log 0 = 0, p > 0 with q = 0 is +Infinity', () => {
    expectClose(crossEntropy(vec([0.5, 0.5, 0], d) as any, vec([0.5, 0.5, 0], d)), Math.LN2, REL[d]);
    expect(crossEntropy(vec([0.5, 0.5, 0], d) as any, vec([1, 0, 0], d))).toBe(Infinity);
    expect(crossEntropy(vec([0, 1], d) as any, vec([0, 1], d))).toBe(0);
  });

  it('cross-entropy batch against the reference, every reduction, rows and flat', () => {
    const per = hp.map((p, r) => ref.crossEntropy(p, hq[r]));
    expectClose(crossEntropy(rows(P, d) as any, rows(Q, d), { reduction: 'none' }), per, REL[d], 1e-300);
    expectClose(crossEntropy(flat(P, d) as any, flat(Q, d), { classes: 3, reduction: 'sum' }), per.reduce((a, b) => a + b), REL[d]);
    // a row where p > 0 meets q = 0 makes the batch infinite
    expect(crossEntropy(rows([P[0], [0, 0.5, 0.5]], d) as any, rows([Q[0], [0.5, 0.5, 0]], d), { reduction: 'sum' })).toBe(Infinity);
    const fin = [0, 1, 3];
    const pf = fin.map((r) => P[r]);
    const qf = fin.map((r) => Q[r]);
    const perf = fin.map((r) => per[r]);
    expectClose(crossEntropy(rows(pf, d) as any, rows(qf, d)), perf.reduce((a, b) => a + b) / 3, REL[d]);
    expectClose(crossEntropy(flat(pf, d) as any, flat(qf, d), { classes: 3, reduction: 'sum', base: 10 }),
      perf.reduce((a, b) => a + b) / Math.LN10, REL[d]);
  });

  it('eps clips q into [eps, 1 − eps]', () => {
    const eps = 1e-7;
    const r = crossEntropy(vec([0.5, 0.5, 0], d) as any, vec([1, 0, 0], d), { eps });
    const e = 0.5 * -Math.log(1 - eps) + 0.5 * -Math.log(eps);
    // float32: the bound 1 − eps is itself rounded to float32
    expectClose(r, e, d === 'Float32Array' ? 1e-6 : 1e-13);
  });

  it('normalize divides each row by its sum; without it an unnormalised row is rejected', () => {
    const raw = [[1, 1, 2], [3, 0, 1]];
    const nrm = raw.map((r) => { const s = r.reduce((a, b) => a + b); return r.map((v) => v / s); });
    expectClose(entropy(rows(raw, d) as any, { normalize: true, reduction: 'none' }), heldRows(nrm, d).map(ref.entropy), REL[d] * 4);
    expectXent(() => entropy(rows(raw, d) as any), 'INVALID_PROBABILITY', 'p');
    expectXent(() => crossEntropy(rows(nrm, d) as any, rows(raw, d)), 'INVALID_PROBABILITY', 'q');
    expectClose(crossEntropy(vec(nrm[0], d) as any, vec(raw[0], d), { normalize: true }),
      ref.crossEntropy(held(nrm[0], d), held(nrm[0], d)), REL[d] * 4);
  });

  it('tolerance: default 1e-6 (float64) / 1e-4 (float32), adjustable', () => {
    const slightly = [0.5, 0.5 + 1e-5];
    if (d === 'Float32Array') {
      expect(Number.isFinite(entropy(vec(slightly, d) as any))).toBe(true);
      expectXent(() => entropy(vec([0.5, 0.5 + 1e-3], d) as any), 'INVALID_PROBABILITY', 'p');
    } else {
      expectXent(() => entropy(vec(slightly, d) as any), 'INVALID_PROBABILITY', 'p');
      expect(Number.isFinite(entropy(vec([0.5, 0.5 + 1e-7], d) as any))).toBe(true);
    }
    expect(Number.isFinite(entropy(vec(slightly, d) as any, { tolerance: 1e-4 }))).toBe(true);
    expectXent(() => entropy(vec([1.2, -0.2], d) as any), 'INVALID_PROBABILITY', 'p');
  });
});

describeBackendsDtypes('KL and Jensen-Shannon divergences', (_b, d) => {
  const hp = heldRows(P, d);
  const hq = heldRows(Q, d);

  it('KL follows SciPy rel_entr: 0 where p = 0, +Infinity where p > 0 and q = 0, exactly 0 for p = q', () => {
    expect(klDivergence(vec(P[3], d) as any, vec(Q[3], d))).toBe(0);
    expect(klDivergence(vec([0.5, 0.5, 0], d) as any, vec([0.5, 0, 0.5], d))).toBe(Infinity);
    expectClose(klDivergence(vec([0.5, 0.5, 0], d) as any, vec([0.25, 0.25, 0.5], d)), Math.LN2, REL[d]);
    const per = hp.map((p, r) => ref.klDivergence(p, hq[r]).value);
    expectClose(klDivergence(rows(P, d) as any, rows(Q, d), { reduction: 'none' }), per, REL[d], 4 * REL[d]);
    expectClose(klDivergence(vec([0.25, 0.75], d) as any, vec([0.5, 0.5], d), { base: 2 }),
      ref.klDivergence(held([0.25, 0.75], d), [0.5, 0.5]).value / Math.LN2, REL[d], 4 * REL[d]);
  });

  it('KL tolerance is exact at its bound: a row sum just inside passes, just outside throws', () => {
    // Row sums exact in every dtype: p's second row sums to 1 + 2^-12, q's rows to 1.
    const e = 2 ** -12;
    const p = [[0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125], [0.25, 0.125, 0.125, 0.125, 0.125, 0.125, 0.0625, 0.0625 + e]];
    const q = [[0.25, 0.25, 0.0625, 0.0625, 0.0625, 0.0625, 0.125, 0.125], [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125]];
    const per = heldRows(p, d).map((r, i) => ref.klDivergence(r, heldRows(q, d)[i]).value);
    expectClose(klDivergence(rows(p, d) as any, rows(q, d), { tolerance: e, reduction: 'none' }), per, REL[d], 4 * REL[d]);
    expectXent(() => klDivergence(rows(p, d) as any, rows(q, d), { tolerance: e * (1 - 2 ** -20) }), 'INVALID_PROBABILITY', 'p[1]');
    expectXent(() => klDivergence(rows(q, d) as any, rows(p, d), { tolerance: e * (1 - 2 ** -20) }), 'INVALID_PROBABILITY', 'q[1]');
  });

  it('KL of nearly equal distributions keeps its accuracy (log1p form)', () => {
    const p = [0.5 + 1e-6, 0.5 - 1e-6];
    const e = ref.klDivergence(held(p, d), [0.5, 0.5]);
    // e ≈ 2e-12; each term is ±5e-7, so the achievable bound is relative to Σ|terms|
    expectClose(klDivergence(vec(p, d) as any, vec([0.5, 0.5], d)), e.value, REL[d], REL[d] * e.scale);
    expect(klDivergence(vec(p, d) as any, vec([0.5, 0.5], d))).toBeGreaterThanOrEqual(0);
  });

  it('JS divergence: symmetric, finite where KL is infinite, ln 2 for disjoint supports', () => {
    const a = jsDivergence(vec([0.5, 0.5, 0], d) as any, vec([0, 0, 1], d)) as number;
    expectClose(a, Math.LN2, REL[d]);
    expectClose(jsDivergence(vec([1, 0], d) as any, vec([0, 1], d), { base: 2 }), 1, REL[d]);
    const per = hp.map((p, r) => ref.jsDivergence(p, hq[r]).value);
    const fwd = jsDivergence(rows(P, d) as any, rows(Q, d), { reduction: 'none' }) as Float64Array;
    const bwd = jsDivergence(rows(Q, d) as any, rows(P, d), { reduction: 'none' }) as Float64Array;
    expectClose(fwd, per, REL[d], 4 * REL[d]);
    expectClose(bwd, Array.from(fwd), REL[d], 4 * REL[d]);
    expect(fwd.every((v) => v >= 0 && v <= Math.LN2 * (1 + 1e-12))).toBe(true);
    expectClose(jsDivergence(flat(P, d) as any, flat(Q, d), { classes: 3, reduction: 'mean' }),
      per.reduce((x, y) => x + y) / 4, REL[d], 4 * REL[d]);
  });
});
