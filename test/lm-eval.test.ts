/**
 * LanguageModelEvaluator against the NumPy fixtures (scripts/lm_fixtures.py: token-weighted and per-sequence
 * perplexity, bits per token and per byte, accuracy, entropy, ECE and the loss by position, each with its standard
 * error) on every backend and dtype; chunked = one-shot = merged; JSON round trips; fromJSON rejecting states whose
 * numbers mean nothing; the state's size at 262,144 classes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import {
  LanguageModelEvaluator, type LanguageModelResult, type LanguageModelUpdateOptions, scoreTokens,
} from '../src/index.js';
import { REL, decode, describeBackends, describeBackendsDtypes, expectClose, expectXent, flat, prng } from './helpers.js';

interface Update {
  logits: number[][];
  targets: number[];
  shift?: boolean;
  sequenceLength?: number;
  sequenceIds?: number[];
  bytes?: number;
}
interface Figures {
  positions: number;
  tokens: number;
  sequences: number;
  emptySequences: number;
  nats: number;
  natsSE: number;
  bits: number;
  bitsSE: number;
  corpusPerplexity: number;
  corpusPerplexitySE: number;
  interval95: [number, number];
  meanSequencePerplexity: number;
  meanSequencePerplexitySE: number;
  bitsPerByte: number | null;
  bitsPerByteSE: number | null;
  bytes: number;
  accuracy: number;
  accuracySE: number;
  topK: number;
  entropy: number;
  entropySE: number;
  ece: number;
  byPosition: { from: number; to: number; tokens: number; mean: number; se: number }[];
}
interface EvalCase {
  name: string;
  settings: { classes: number; topK?: number; base?: number };
  updates: Update[];
  exact: Figures;
  exact32: Figures;
}

const lm = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/lm.json', import.meta.url)), 'utf8'));
const CASES = decode<EvalCase[]>(lm.evaluator);

function feed(ev: LanguageModelEvaluator, c: EvalCase, d: Parameters<typeof flat>[1]): LanguageModelEvaluator {
  for (const { logits, targets, ...o } of c.updates) ev.update(flat(logits, d), targets, o);
  return ev;
}

describeBackendsDtypes('LanguageModelEvaluator', (_b, d) => {
  for (const c of CASES) {
    it(`${c.name} (NumPy fixture)`, () => {
      const want = d === 'Float32Array' ? c.exact32 : c.exact;
      const r = feed(new LanguageModelEvaluator(c.settings), c, d).result();
      // Sums of per-token values: the per-token bound, a little more for the standard errors' cancellation.
      const rel = d === 'Float32Array' ? 2e-6 : 1e-12;
      const u = Math.log(c.settings.base ?? Math.E);
      expect([r.positions, r.tokens, r.sequences, r.emptySequences]).toEqual(
        [want.positions, want.tokens, want.sequences, want.emptySequences]);
      expectClose(r.nats.value, want.nats, rel, 0, 'nats');
      expectClose(r.nats.standardError, want.natsSE, rel, 0, 'nats SE');
      expectClose(r.loss.value, want.nats / u, rel, 0, 'loss in the unit');
      expectClose(r.bitsPerToken.value, want.bits, rel, 0, 'bits');
      expectClose(r.bitsPerToken.standardError, want.bitsSE, rel, 0, 'bits SE');
      expectClose(r.corpusPerplexity.value, want.corpusPerplexity, rel, 0, 'corpus perplexity');
      expectClose(r.corpusPerplexity.standardError, want.corpusPerplexitySE, rel, 0, 'corpus perplexity SE');
      expectClose(r.corpusPerplexity.interval95, want.interval95, rel, 0, 'interval');
      expectClose(r.meanSequencePerplexity.value, want.meanSequencePerplexity, rel, 0, 'mean sequence perplexity');
      expectClose(r.meanSequencePerplexity.standardError, want.meanSequencePerplexitySE, rel, 0, 'its SE');
      if (want.bitsPerByte === null) expect(r.bitsPerByte).toBeNull();
      else {
        expect(r.bitsPerByte!.bytes).toBe(want.bytes);
        expectClose(r.bitsPerByte!.value, want.bitsPerByte, rel, 0, 'bits per byte');
        expectClose(r.bitsPerByte!.standardError, want.bitsPerByteSE!, rel, 0, 'bits per byte SE');
      }
      expectClose(r.accuracy.value, want.accuracy, 1e-15, 0, 'accuracy');
      expectClose(r.accuracy.standardError, want.accuracySE, 1e-14, 0, 'accuracy SE');
      expectClose(r.topK.value, want.topK, 1e-15, 0, 'top-k');
      expectClose(r.entropy.value, want.entropy / u, rel, 0, 'entropy');
      expectClose(r.entropy.standardError, want.entropySE / u, rel, 0, 'entropy SE');
      expectClose(r.ece, want.ece, rel, 1e-15, 'ECE');
      const bins = (a: { from: number; to: number; tokens: number }[]) => a.map((b) => [b.from, b.to, b.tokens]);
      expect(bins(r.byPosition)).toEqual(bins(want.byPosition));
      r.byPosition.forEach((b, i) => {
        expectClose(b.loss.value, want.byPosition[i].mean / u, rel, 0, `position bin ${i}`);
        expectClose(b.loss.standardError, want.byPosition[i].se / u, rel, 0, `position bin ${i} SE`);
      });
    });
  }
});

/** A random batch of N sequences of T positions over V classes, flat, with some ignored targets. */
function batch(N: number, T: number, V: number, seed: number, f32 = false) {
  const rand = prng(seed);
  const x = f32 ? new Float32Array(N * T * V) : new Float64Array(N * T * V);
  for (let i = 0; i < x.length; i++) x[i] = 4 * rand() - 2;
  const t = Array.from({ length: N * T }, () => (rand() < 0.1 ? -100 : Math.floor(rand() * V)));
  // Make about half the targets likely, so that accuracy and calibration mean something.
  for (let i = 1; i < N * T; i++) if (t[i] >= 0 && rand() < 0.5) x[(i - 1) * V + t[i]] += 4;
  return { x, t };
}

function expectSame(a: LanguageModelResult, b: LanguageModelResult, rel = 1e-12): void {
  expect([a.tokens, a.sequences, a.positions]).toEqual([b.tokens, b.sequences, b.positions]);
  for (const k of ['nats', 'meanSequencePerplexity', 'entropy', 'accuracy', 'topK'] as const) {
    expectClose(a[k].value, b[k].value, rel, 0, k);
    expectClose(a[k].standardError, b[k].standardError, rel, 1e-15, `${k} SE`);
  }
  expectClose(a.ece, b.ece, rel, 1e-15, 'ece');
  expectClose(a.bitsPerByte?.value ?? 0, b.bitsPerByte?.value ?? 0, rel, 0, 'bits per byte');
  expect(a.byPosition.map((p) => p.tokens)).toEqual(b.byPosition.map((p) => p.tokens));
}

describeBackends('LanguageModelEvaluator state', () => {
  const V = 50;
  const N = 6;
  const T = 17;
  const { x, t } = batch(N, T, V, 7, true);
  const seq = (n: number) => [x.subarray(n * T * V, (n + 1) * T * V), t.slice(n * T, (n + 1) * T)] as const;

  it('one update of [N, T, V] with sequenceLength = one update per sequence = merged shards', () => {
    const one = new LanguageModelEvaluator({ classes: V }).update(x, t, { shift: true, sequenceLength: T, bytes: 900 });
    const each = new LanguageModelEvaluator({ classes: V });
    for (let n = 0; n < N; n++) each.update(...seq(n), { shift: true, bytes: n === 0 ? 900 : 0 });
    expectSame(each.result(), one.result());
    // Sequences per update: the same tokens, but one sequence instead of N.
    expect(new LanguageModelEvaluator({ classes: V }).update(x, t, { shift: true }).result().sequences).toBe(1);
    // Merging is associative and order-free up to rounding; a fixed grid merged in order is bit-identical.
    const shard = (a: number, b: number) => {
      const ev = new LanguageModelEvaluator({ classes: V });
      for (let n = a; n < b; n++) ev.update(...seq(n), { shift: true });
      return ev;
    };
    const left = shard(0, 2).merge(shard(2, 4)).merge(shard(4, 6));
    const right = shard(0, 2).merge(shard(2, 4).merge(shard(4, 6)));
    const shuffled = shard(4, 6).merge(shard(0, 2)).merge(shard(2, 4));
    expectSame(right.result(), left.result());
    expectSame(shuffled.result(), left.result());
    const grid = new LanguageModelEvaluator({ classes: V });
    for (let n = 0; n < N; n++) grid.merge(shard(n, n + 1));
    expect(grid.toJSON()).toEqual(shard(0, N).toJSON());
  });

  it('keeps updates apart whatever came before: updates of any size and layout = fresh evaluators merged, bit for bit', () => {
    // 70,000 positions: more than an evaluator keeps scoring buffers for between updates.
    const big = batch(10, 7000, 4, 11, true);
    const small = batch(1, 5, V, 12, true);
    const mid = batch(3, 100, V, 13);
    const ids = Array.from({ length: 300 }, (_, i) => (i < 40 ? 0 : i < 260 ? 1 : 2));
    const updates: [number, Float32Array | Float64Array, number[], LanguageModelUpdateOptions][] = [
      [V, mid.x, mid.t, { shift: true, sequenceIds: ids }],
      [V, small.x, small.t, {}],
      [V, x, t, { shift: true, sequenceLength: T }],
      [V, small.x, small.t, { shift: true }],
      [V, mid.x.subarray(0, 7 * V), mid.t.slice(0, 7), {}],
      [4, big.x, big.t, { shift: true, sequenceLength: 7000 }],
      [4, big.x.subarray(0, 6 * 4), big.t.slice(0, 6), { shift: true }],
    ];
    for (const classes of [V, 4]) {
      const mine = updates.filter((u) => u[0] === classes);
      const one = new LanguageModelEvaluator({ classes });
      const merged = new LanguageModelEvaluator({ classes });
      for (const [, lx, lt, o] of mine) {
        one.update(lx, lt, o);
        merged.merge(new LanguageModelEvaluator({ classes }).update(lx, lt, o));
      }
      expect(one.toJSON()).toEqual(merged.toJSON());
      const tokens = mine.reduce((n, [c, lx, lt, o]) => n + scoreTokens(lx, lt, { classes: c, ...o }).count, 0);
      expect(one.result().tokens).toBe(tokens);
    }
  });

  it('round-trips through JSON, and reset forgets everything', () => {
    const ev = new LanguageModelEvaluator({ classes: V, topK: 3, base: 2 });
    ev.update(x, t, { shift: true, sequenceLength: T, bytes: 1234 });
    ev.update(flat([[0, -Infinity, 1, ...new Array(V - 3).fill(0)]], 'Float64Array'), [1]); // a token of probability 0
    const back = LanguageModelEvaluator.fromJSON(JSON.stringify(ev));
    expect(back.result()).toEqual(ev.result());
    expect(back.toJSON()).toEqual(JSON.parse(JSON.stringify(ev.toJSON())));
    expect(ev.result().nats.value).toBe(Infinity);
    expect(back.options).toEqual({ classes: V, topK: 3, base: 2, ignoreIndex: -100, bootstrap: null });
    ev.reset();
    expect(ev.result().tokens).toBe(0);
    expect(Number.isNaN(ev.result().nats.value)).toBe(true);
  });

  it('rejects states whose numbers contradict each other', () => {
    const good = new LanguageModelEvaluator({ classes: V }).update(x, t, { shift: true, sequenceLength: T }).toJSON();
    const bad = (code: string, patch: (j: Record<string, unknown>) => void, ...why: string[]) => {
      const j = JSON.parse(JSON.stringify(good));
      patch(j);
      expectXent(() => LanguageModelEvaluator.fromJSON(j), code, ...why);
    };
    expect(LanguageModelEvaluator.fromJSON(good).result().tokens).toBeGreaterThan(0);
    bad('INVALID_STATE', (j) => (j.correct = (j.tokens as number) + 1), 'correct');
    bad('INVALID_STATE', (j) => (j.correctK = (j.correct as number) - 1), 'correct');
    bad('INVALID_STATE', (j) => (j.tokens = -1), 'tokens');
    bad('INVALID_STATE', (j) => (j.tokens = (j.positions as number) + 1), 'positions');
    bad('INVALID_STATE', (j) => (j.nll = -3), 'nll');
    bad('INVALID_STATE', (j) => (j.sequences = 2.5), 'sequences');
    bad('INVALID_STATE', (j) => (j.seqPpl = 0.5), 'perplexity');
    bad('INVALID_STATE', (j) => ((j.byPosition as number[][])[0][1] += 1), 'position bins');
    bad('INVALID_STATE', (j) => ((j.ece as { weight: number[] }).weight[3] += 1), 'ECE');
    bad('INVALID_STATE', (j) => (j.bytes = 10), 'bytes');
    bad('INVALID_TYPE', (j) => (j.nll2 = 'many'), 'nll2');
    bad('INVALID_TYPE', (j) => (j.version = 2), 'version');
    bad('INVALID_TYPE', (j) => (j.format = 'xent-eval-state'), 'xent-lm-state');
    bad('INVALID_OPTION', (j) => ((j.settings as { topK: number }).topK = 0), 'topK');
    expectXent(() => LanguageModelEvaluator.fromJSON('{'), 'INVALID_TYPE', 'JSON');
  });

  it('merges only evaluators with the same settings, and rejects bad input without adding anything', () => {
    const ev = new LanguageModelEvaluator({ classes: V });
    expectXent(() => ev.merge(new LanguageModelEvaluator({ classes: V, topK: 2 })), 'INVALID_OPTION', 'topK');
    expectXent(() => ev.update(x, t, { sequenceLength: 5 }), 'SHAPE_MISMATCH', 'sequenceLength');
    expectXent(() => ev.update(x, t, { bytes: -1 }), 'INVALID_OPTION', 'bytes');
    expectXent(() => ev.update(x, t, { bytes: 1.5 }), 'INVALID_OPTION', 'bytes');
    expectXent(() => ev.update(x, t, { shifted: true } as never), 'INVALID_OPTION', 'shifted');
    expectXent(() => ev.update([Float32Array.of(1, 2)], [0]), 'SHAPE_MISMATCH', 'classes');
    const nan = Float64Array.from(x.subarray(0, 2 * V));
    nan[V + 3] = NaN;
    expectXent(() => ev.update(nan, [1, 2]), 'NON_FINITE', 'logits[1][3]');
    expect(ev.result().tokens).toBe(0);
    expectXent(() => new LanguageModelEvaluator(undefined as never), 'INVALID_OPTION', 'classes');
    expectXent(() => new LanguageModelEvaluator({ classes: 0 }), 'INVALID_OPTION', 'classes');
    expectXent(() => new LanguageModelEvaluator({ classes: 5, base: 1 }), 'INVALID_OPTION', 'base');
  });

  it('agrees with scoreTokens token by token', () => {
    const r = scoreTokens(x, t, { classes: V, shift: true, sequenceLength: T, topK: 1 });
    let nll = 0;
    let ok = 0;
    for (let i = 0; i < r.rank.length; i++) {
      if (r.rank[i] < 0) continue;
      nll -= r.logprob[i];
      ok += r.rank[i] === 0 ? 1 : 0;
    }
    const e = new LanguageModelEvaluator({ classes: V }).update(x, t, { shift: true, sequenceLength: T }).result();
    expect(e.tokens).toBe(r.count);
    expectClose(e.nats.value, nll / r.count, 1e-15, 0, 'nats');
    expectClose(e.accuracy.value, ok / r.count, 1e-15, 0, 'accuracy');
  });

  /**
   * Feeds positions [0, n) in chunks ending at `cuts`, each update leaving its last sequence open when the next chunk
   * continues it (under the shift, the next chunk then repeats its last row), with the chunk's global offset.
   */
  function chunked(ev: LanguageModelEvaluator, X: Float32Array | Float64Array | Uint16Array, tt: number[], cuts: number[], shift: boolean, ids?: number[]) {
    let a = 0;
    let open = false;
    for (const b of cuts) {
      const from = shift && open ? a - 1 : a;
      open = b < tt.length && (ids === undefined || ids[b - 1] === ids[b]);
      ev.update(X.subarray(from * V, b * V), tt.slice(from, b), {
        shift, open, offset: from, ...(ids === undefined ? {} : { sequenceIds: ids.slice(from, b) }),
        ...(X instanceof Uint16Array ? { dtype: 'float16' as const } : {}),
      });
      a = b;
    }
    return ev;
  }
  const halfBits = (n: number, seed: number) => {
    const rand = prng(seed);
    // float16 bits of values in [-4, 4): sign, exponent 0..16, mantissa.
    return Uint16Array.from({ length: n }, () => (Math.floor(rand() * 2) << 15) | (Math.floor(rand() * 17) << 10) | Math.floor(rand() * 1024));
  };

  it('a sequence fed in chunks (open: true) = one update of it, bit for bit: float64, float32, float16 bits, the bootstrap', () => {
    const n = N * T;
    const x64 = Float64Array.from(x);
    const cutsOf = (...c: number[]) => [...c, n];
    for (const X of [x, x64, halfBits(n * V, 3)]) {
      for (const shift of [false, true]) {
        for (const cuts of [cutsOf(1, 5, 22, 23, 60), cutsOf(2, 4, 6, 8, 10), cutsOf(n - 1)]) {
          const opts = { classes: V, topK: 3, bootstrap: { resamples: 20, seed: 9 } };
          const dtype = X instanceof Uint16Array ? { dtype: 'float16' as const } : {};
          const whole = new LanguageModelEvaluator(opts).update(X, t, { shift, ...dtype });
          const parts = chunked(new LanguageModelEvaluator(opts), X, t, cuts, shift);
          expect(parts.toJSON(), `${X.constructor.name} shift ${shift} cuts ${cuts.join(' ')}`).toEqual(whole.toJSON());
          expect(parts.result()).toEqual(whole.result());
          expect(whole.result().sequences).toBe(1);
        }
      }
    }
  });

  it('chunks across packed sequences (sequenceIds), an open sequence adds nothing until it ends, and what it refuses', () => {
    const n = N * T;
    // Sequences of 5, 11, 1, 30, ... positions: the chunks end inside sequences, and hold sequence ends.
    const ids = Array.from({ length: n }, (_, i) => (i < 5 ? 0 : i < 16 ? 1 : i < 17 ? 2 : 3 + Math.floor((i - 17) / 30)));
    for (const shift of [false, true]) {
      const whole = new LanguageModelEvaluator({ classes: V }).update(x, t, { shift, sequenceIds: ids });
      const parts = chunked(new LanguageModelEvaluator({ classes: V }), x, t, [3, 15, 18, 40, 48, 78, n], shift, ids);
      expect(parts.toJSON()).toEqual(whole.toJSON());
    }
    const ev = new LanguageModelEvaluator({ classes: V });
    ev.update(x.subarray(0, 10 * V), t.slice(0, 10), { open: true });
    expect(ev.result().positions).toBe(0);
    expectXent(() => ev.toJSON(), 'INVALID_STATE', 'open');
    expectXent(() => new LanguageModelEvaluator({ classes: V }).merge(ev), 'INVALID_STATE', 'open');
    expectXent(() => ev.update(x.subarray(0, V), [1], { open: true, bytes: 3 }), 'INVALID_OPTION', 'bytes');
    expectXent(() => ev.update(x.subarray(0, V), [1], { open: 1 as unknown as boolean }), 'INVALID_OPTION', 'open');
    ev.update(x.subarray(10 * V, 20 * V), t.slice(10, 20));
    expect(ev.result().positions).toBe(20);
    expect(ev.result().sequences).toBe(1);
    expect(ev.toJSON()).toEqual(new LanguageModelEvaluator({ classes: V }).update(x.subarray(0, 20 * V), t.slice(0, 20)).toJSON());
  });

  it('keeps its JSON state under 64 KB at 262,144 classes, and with every position bin in use', () => {
    const Vb = 262_144;
    const big = batch(1, 4, Vb, 3, true);
    const ev = new LanguageModelEvaluator({ classes: Vb });
    for (let i = 0; i < 3; i++) ev.update(big.x, big.t, { shift: true, bytes: 17 });
    const size = JSON.stringify(ev).length;
    expect(size).toBeLessThanOrEqual(64 * 1024);
    // The longest possible state: 1,100,000 positions fill all 77 position bins; its size does not depend on V.
    const n = 1_100_000;
    const long = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) long[2 * i] = (i % 7) / 3;
    const full = new LanguageModelEvaluator({ classes: 2 }).update(long, new Int32Array(n).fill(1), { bytes: n });
    expect(full.result().byPosition.length).toBe(77);
    const fullSize = JSON.stringify(full).length;
    console.log(`LanguageModelEvaluator state: ${size} B of JSON at 262,144 classes; ${fullSize} B with all bins in use`);
    expect(fullSize).toBeLessThanOrEqual(64 * 1024);
  });
});
