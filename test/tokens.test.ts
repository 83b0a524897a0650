/**
 * scoreTokens against the NumPy fixtures (scripts/lm_fixtures.py: log_softmax, ranks by counting, a stable sort for
 * the top k, -Σ p log p) on every backend and dtype, the layout options (shift within sequences, sequenceLength,
 * sequenceIds, ignored targets), a 262,144-wide batch against the float64 reference, and the errors.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { LanguageModelEvaluator, allocate, scoreTokens, softmaxCrossEntropy } from '../src/index.js';
import { scoreRow } from './lm-reference.js';
import { REL, decode, describeBackendsDtypes, expectClose, expectXent, flat, prng, rows, snapshot } from './helpers.js';

interface ScoreCase {
  name: string;
  classes: number;
  logits: number[][];
  targets: number[];
  options: Record<string, unknown>;
  exact: Expected;
  exact32: Expected;
}
interface Expected {
  logprob: number[];
  rank: number[];
  entropy: number[];
  topIds: number[];
  topLogprobs: number[];
  count: number;
}

const lm = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/lm.json', import.meta.url)), 'utf8'));
const CASES = decode<ScoreCase[]>(lm.score);

describeBackendsDtypes('scoreTokens', (_b, d) => {
  for (const c of CASES) {
    it(`${c.name} (NumPy fixture)`, () => {
      const want = d === 'Float32Array' ? c.exact32 : c.exact;
      const x = flat(c.logits, d);
      const before = snapshot(x);
      const got = scoreTokens(x, c.targets, { classes: c.classes, ...c.options });
      expect(x).toEqual(before);
      expect(got.count).toBe(want.count);
      expect(Array.from(got.rank)).toEqual(want.rank);
      expectClose(got.logprob, want.logprob, REL[d], 0, 'logprob');
      expectClose(got.entropy, want.entropy, REL[d], 0, 'entropy');
      if (want.topIds.length > 0) {
        expect(Array.from(got.topIds!)).toEqual(want.topIds);
        expectClose(got.topLogprobs!, want.topLogprobs, REL[d], 0, 'topLogprobs');
      } else {
        expect(got.topIds).toBeUndefined();
      }
      // Rows of logits give the same answer as the flat array.
      const again = scoreTokens(rows(c.logits, d), c.targets, c.options);
      expect(Array.from(again.logprob)).toEqual(Array.from(got.logprob));
    });
  }

  it('log-probabilities are -softmaxCrossEntropy per row, to the bit where no precise pass intervenes', () => {
    const rand = prng(3);
    const V = 200;
    const x = Array.from({ length: 30 }, () => Array.from({ length: V }, () => 4 * rand() - 2));
    const t = x.map(() => Math.floor(rand() * V));
    const got = scoreTokens(rows(x, d), t);
    const ce = softmaxCrossEntropy(rows(x, d), t, { reduction: 'none' }) as Float64Array;
    expectClose(got.logprob, Array.from(ce, (v) => -v), REL[d], 0, 'logprob');
  });

  it('shifts within each sequence of a [N, T, V] batch: the same as scoring each sequence alone', () => {
    const rand = prng(11);
    const V = 37;
    const N = 4;
    const T = 9;
    const x = Array.from({ length: N * T }, () => Array.from({ length: V }, () => 3 * rand() - 1.5));
    const t = Array.from({ length: N * T }, () => (rand() < 0.15 ? -100 : Math.floor(rand() * V)));
    const all = scoreTokens(flat(x, d), t, { classes: V, shift: true, sequenceLength: T, topK: 2 });
    const ids = Array.from({ length: N * T }, (_, i) => 10 + Math.floor(i / T));
    const byIds = scoreTokens(flat(x, d), t, { classes: V, shift: true, sequenceIds: ids, topK: 2 });
    expect(byIds).toEqual(all);
    for (let n = 0; n < N; n++) {
      const opts = { classes: V, shift: true, topK: 2 };
      const one = scoreTokens(flat(x.slice(n * T, n * T + T), d), t.slice(n * T, n * T + T), opts);
      expect(Array.from(all.logprob.subarray(n * T, n * T + T))).toEqual(Array.from(one.logprob));
      expect(Array.from(all.rank.subarray(n * T, n * T + T))).toEqual(Array.from(one.rank));
      expect(Array.from(all.topIds!.subarray(2 * n * T, 2 * (n * T + T)))).toEqual(Array.from(one.topIds!));
      expect(all.rank[n * T]).toBe(-1); // each sequence's first position is not scored
    }
    // Position t is scored by row t - 1: against the reference of that row.
    for (let i = 1; i < T; i++) {
      if (t[i] === -100) continue;
      const held = d === 'Float32Array' ? x[i - 1].map(Math.fround) : x[i - 1];
      expectClose(all.logprob[i], scoreRow(held, t[i]).logprob, REL[d], 0, `position ${i}`);
    }
  });

  it('counts nothing for an all-ignored sequence and returns empty arrays for no positions', () => {
    const x = flat([[1, 2, 3], [3, 2, 1], [0, 0, 0]], d);
    const r = scoreTokens(x, [-100, -100, -100], { classes: 3, topK: 2 });
    expect(r.count).toBe(0);
    expect(Array.from(r.rank)).toEqual([-1, -1, -1]);
    expect(Array.from(r.logprob)).toEqual([0, 0, 0]);
    expect(Array.from(r.topIds!)).toEqual([-1, -1, -1, -1, -1, -1]);
    const none = scoreTokens(flat([], d), [], { classes: 5 });
    expect([none.logprob.length, none.count]).toEqual([0, 0]);
  });

  it('rejects what it cannot score, naming the argument', () => {
    const x = flat([[1, 2, 3], [3, 2, 1]], d);
    expectXent(() => scoreTokens(x, [0, 3], { classes: 3 }), 'LABEL_OUT_OF_RANGE', 'targets[1]', '-100');
    expectXent(() => scoreTokens(x, [0], { classes: 3 }), 'SHAPE_MISMATCH', 'targets');
    expectXent(() => scoreTokens(x, [0, 1], { classes: 3, sequenceLength: 4 }), 'SHAPE_MISMATCH', 'sequenceLength');
    expectXent(() => scoreTokens(x, [0, 1], { classes: 3, sequenceIds: [1] }), 'SHAPE_MISMATCH', 'sequenceIds');
    expectXent(() => scoreTokens(x, [0, 1], { classes: 3, sequenceIds: [1, 0.5] }), 'INVALID_TYPE', 'sequenceIds[1]');
    expectXent(() => scoreTokens(x, [0, 1], { classes: 3, topK: -1 }), 'INVALID_OPTION', 'topK');
    expectXent(() => scoreTokens(x, [0, 1], { classes: 3, shift: 1 as unknown as boolean }), 'INVALID_OPTION', 'shift');
    expectXent(() => scoreTokens(x, [0, 1], { classes: 3, top: 2 } as never), 'INVALID_OPTION', 'top');
    const bad = flat([[1, 2, 3], [3, NaN, 1]], d);
    expectXent(() => scoreTokens(bad, [0, 1], { classes: 3 }), 'NON_FINITE', 'logits[1][1]');
    // A NaN in a row that scores nothing is not examined (as PyTorch's ignored rows).
    expect(scoreTokens(bad, [0, -100], { classes: 3 }).count).toBe(1);
    // Under the shift the last row of a sequence predicts past its end: it is not read either.
    expect(scoreTokens(bad, [0, 1], { classes: 3, shift: true }).count).toBe(1);
    const first = flat([[3, NaN, 1], [1, 2, 3]], d);
    expectXent(() => scoreTokens(first, [0, 1], { classes: 3, shift: true }), 'NON_FINITE', 'logits[0][1]');
    expect(scoreTokens(bad, [0, 1], { classes: 3, shift: true, sequenceLength: 1 }).count).toBe(0);
    expectXent(() => scoreTokens(flat([[1, Infinity, 3]], d), [0], { classes: 3 }), 'NON_FINITE', 'Infinity');
    expectXent(() => scoreTokens(flat([[-Infinity, -Infinity]], d), [0], { classes: 2 }), 'NON_FINITE', 'everywhere');
    // A masked target is a valid prediction of probability 0.
    expect(scoreTokens(flat([[-Infinity, 0]], d), [0], { classes: 2 }).logprob[0]).toBe(-Infinity);
    // After a masked target, later rows are still examined: a NaN first, then the rows without a softmax.
    const later = flat([[-Infinity, 0], [1, 2], [-Infinity, -Infinity], [NaN, 1]], d);
    expectXent(() => scoreTokens(later, [0, 1, 0, 1], { classes: 2 }), 'NON_FINITE', 'logits[3][0]');
    expectXent(() => scoreTokens(later, [0, 1, 0, -100], { classes: 2 }), 'NON_FINITE', 'everywhere');
    const lp = scoreTokens(later, [0, 1, -100, -100], { classes: 2 }).logprob;
    expect([lp[0], lp[2], lp[3]]).toEqual([-Infinity, 0, 0]);
    expectClose(lp[1], -Math.log1p(Math.exp(-1)), REL[d], 0, 'log p');
  });
}, ['Float64Array', 'Float32Array', 'number[]']);

describeBackendsDtypes('scoreTokens on logits in wasm memory', (_b, d) => {
  it('reads an allocated batch in place (shifted, over several sequences): the same as a copied one', () => {
    const rand = prng(17);
    const V = 300;
    const n = 40;
    const src = Array.from({ length: n * V }, () => 8 * rand() - 4);
    const t = Array.from({ length: n }, (_, i) => (i % 9 === 4 ? -100 : Math.floor(rand() * V)));
    const a = allocate(d === 'Float32Array' ? 'float32' : 'float64', n * V);
    a.view().set(src);
    const o = { classes: V, shift: true, sequenceLength: 8, topK: 3 };
    const copied = scoreTokens(flat([src], d), t, o);
    expect(scoreTokens(a.view(), t, o)).toEqual(copied);
    const u = { shift: true, sequenceLength: 8 };
    const ev = new LanguageModelEvaluator({ classes: V }).update(a.view(), t, u);
    expect(ev.result()).toEqual(new LanguageModelEvaluator({ classes: V }).update(flat([src], d), t, u).result());
    a.free();
  });
}, ['Float64Array', 'Float32Array']);

describeBackendsDtypes('scoreTokens at 262,144 classes', (_b, d) => {
  it('scores wide rows, shifted, against the float64 reference', () => {
    const V = 262_144;
    const rand = prng(5);
    const n = 3;
    const x = d === 'Float32Array' ? new Float32Array(n * V) : new Float64Array(n * V);
    for (let i = 0; i < x.length; i++) x[i] = 6 * rand() - 3;
    x[V + 7] = 30; // row 1 is sure of token 7
    const t = [0, 123_456, 7];
    const got = scoreTokens(x, t, { classes: V, shift: true, topK: 3 });
    expect(got.rank[0]).toBe(-1);
    for (let i = 1; i < n; i++) {
      const ref = scoreRow(x.subarray((i - 1) * V, i * V), t[i], 3);
      expectClose(got.logprob[i], ref.logprob, REL[d], 0, `logprob ${i}`);
      expectClose(got.entropy[i], ref.entropy, REL[d], 0, `entropy ${i}`);
      expect(got.rank[i]).toBe(ref.rank);
      expect(Array.from(got.topIds!.subarray(3 * i, 3 * i + 3))).toEqual(ref.topIds);
    }
  });
}, ['Float64Array', 'Float32Array']);
