import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import {
  Evaluator, type EvalResult, XentError, binaryCrossEntropy, categoricalCrossEntropy, softmax,
} from '../src/index.js';
import { decode, describeBackends, expectXent, prng } from './helpers.js';

/** A float64 reference of the single-label figures, straight from the definitions. */
function reference(logits: number[][], labels: number[], w?: number[]) {
  let W = 0, loss = 0, acc = 0, top2 = 0, brier = 0;
  const bins = Array.from({ length: 15 }, () => [0, 0, 0]);
  for (let r = 0; r < logits.length; r++) {
    const z = logits[r];
    const m = Math.max(...z);
    const s = z.reduce((a, v) => a + Math.exp(v - m), 0);
    const p = z.map((v) => Math.exp(v - m) / s);
    const y = labels[r];
    const wr = w ? w[r] : 1;
    const rank = z.filter((v) => v > z[y]).length;
    const conf = Math.max(...p);
    W += wr;
    loss += wr * -(z[y] - m - Math.log(s));
    acc += wr * (rank === 0 ? 1 : 0);
    top2 += wr * (rank < 2 ? 1 : 0);
    brier += wr * p.reduce((a, pj, j) => a + (pj - (j === y ? 1 : 0)) ** 2, 0);
    const b = Math.min(14, Math.floor(conf * 15));
    bins[b][0] += wr;
    bins[b][1] += wr * conf;
    bins[b][2] += wr * (rank === 0 ? 1 : 0);
  }
  const ece = bins.reduce((a, [, c, k]) => a + Math.abs(c - k), 0) / W;
  return { loss: loss / W, acc: acc / W, top2: top2 / W, brier: brier / W, ece };
}

function data(rows: number, cols: number, seed = 1) {
  const rand = prng(seed);
  const logits = Array.from({ length: rows }, () => Array.from({ length: cols }, () => 6 * rand() - 3));
  const labels = logits.map((z) => (rand() < 0.6 ? z.indexOf(Math.max(...z)) : Math.floor(rand() * cols)));
  return { logits, labels, flat: Float64Array.from(logits.flat()) };
}

const close = (a: number, b: number, rel = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

function expectSameResult(a: EvalResult, b: EvalResult, rel = 1e-12) {
  expect(a.count).toBe(b.count);
  for (const k of ['loss', 'nats', 'accuracy', 'brier', 'ece', 'min', 'max'] as const) close(a[k], b[k], rel);
  a.quantiles.forEach((q, i) => close(q.loss, b.quantiles[i].loss, rel));
  a.perClass.forEach((c, i) => {
    close(c.support, b.perClass[i].support, rel);
    close(c.loss, b.perClass[i].loss, rel);
    close(c.meanProbability, b.perClass[i].meanProbability, rel);
  });
}

describeBackends('Evaluator', () => {
  it('matches the float64 reference on a small case computed from the definitions', () => {
    const logits = [[2, 1, 0.1], [0.5, 2.5, 0.3], [1, 1, 1], [-1, 0, 3]];
    const labels = [0, 1, 2, 1];
    const r = new Evaluator({ classes: 3, topK: 2 }).update(logits, labels).result();
    const ref = reference(logits, labels);
    close(r.nats, ref.loss);
    close(r.bits, ref.loss / Math.LN2);
    close(r.perplexity, Math.exp(ref.loss));
    close(r.accuracy, ref.acc); // row 2 is a three-way tie: the label attains the max, so it counts as right
    close(r.topK!.accuracy, ref.top2);
    close(r.brier, ref.brier);
    close(r.ece, ref.ece);
    expect(r.perClass.map((c) => c.support)).toEqual([1, 2, 1]);
    expect(r.count).toBe(4);
  });

  it('handles weights, the ignore index, probabilities and float32 like the definitions', () => {
    const { logits, labels, flat } = data(300, 6, 2);
    const w = labels.map((_, i) => (i % 3) * 0.5);
    const ref = reference(logits, labels, w);
    const r = new Evaluator({ classes: 6, topK: 2 }).update(flat, labels, { sampleWeight: w }).result();
    close(r.nats, ref.loss);
    close(r.brier, ref.brier);
    close(r.ece, ref.ece);
    close(r.topK!.accuracy, ref.top2);
    // Probabilities give the same figures (within the float64 rounding of the softmax).
    const probs = softmax(flat, { classes: 6 });
    const rp = new Evaluator({ classes: 6, from: 'probs', topK: 2 }).update(probs, labels, { sampleWeight: w }).result();
    close(rp.nats, ref.loss, 1e-10);
    close(rp.brier, ref.brier, 1e-10);
    // float32 logits: within float32 rounding of the reference over the same float32 values.
    const f32 = Float32Array.from(flat);
    const r32 = new Evaluator({ classes: 6 }).update(f32, labels).result();
    close(r32.nats, reference(Array.from({ length: 300 }, (_, i) => Array.from(f32.subarray(i * 6, i * 6 + 6))), labels).loss, 1e-6);
    // Ignored rows count for nothing.
    const ignored = labels.map((y, i) => (i % 4 === 0 ? -100 : y));
    const ri = new Evaluator({ classes: 6, ignoreIndex: -100 }).update(flat, ignored).result();
    const keep = labels.map((_, i) => i).filter((i) => i % 4 !== 0);
    close(ri.nats, reference(keep.map((i) => logits[i]), keep.map((i) => labels[i])).loss);
    expect(ri.ignored).toBe(75);
  });

  it('chunked equals one-shot, merge is associative, and JSON round-trips', () => {
    const { logits, labels } = data(503, 7, 3);
    const one = new Evaluator({ classes: 7 }).update(logits, labels);
    const chunked = new Evaluator({ classes: 7 });
    const rand = prng(9);
    for (let i = 0; i < logits.length; ) {
      const n = 1 + Math.floor(rand() * 60);
      chunked.update(logits.slice(i, i + n), labels.slice(i, i + n));
      i += n;
    }
    expectSameResult(chunked.result(), one.result());
    const part = (a: number, b: number) => new Evaluator({ classes: 7 }).update(logits.slice(a, b), labels.slice(a, b));
    const left = part(0, 100).merge(part(100, 300)).merge(part(300, 503));
    const right = part(0, 100).merge(part(100, 300).merge(part(300, 503)));
    const shuffled = part(300, 503).merge(part(0, 100)).merge(part(100, 300));
    expectSameResult(left.result(), one.result());
    expectSameResult(right.result(), left.result());
    expectSameResult(shuffled.result(), left.result());
    const back = Evaluator.fromJSON(JSON.stringify(left));
    expect(back.result()).toEqual(left.result());
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(JSON.stringify(left)));
  });

  it('keeps an infinite loss through JSON, and quantiles within 1.2%', () => {
    const ev = new Evaluator({ classes: 2, from: 'probs' }).update([[1, 0], [0.5, 0.5], [0.9, 0.1]], [1, 0, 0]);
    expect(ev.result().nats).toBe(Infinity);
    expect(Evaluator.fromJSON(JSON.stringify(ev)).result().max).toBe(Infinity);
    const { logits, labels } = data(2000, 5, 4);
    const r = new Evaluator({ classes: 5 }).update(logits, labels).result();
    const losses = logits.map((z, i) => Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[labels[i]]).sort((a, b) => a - b);
    const exact = losses[Math.ceil(0.5 * losses.length) - 1];
    expect(Math.abs(r.quantiles[2].loss / exact - 1)).toBeLessThan(0.012);
  });

  it('multi-label: binary figures per element', () => {
    const p = [[0.9, 0.2, 0.6], [0.1, 0.7, 0.4]];
    const t = [[1, 0, 0], [0, 1, 1]];
    const r = new Evaluator({ classes: 3, from: 'probs', multiLabel: true }).update(p, t).result();
    close(r.nats, binaryCrossEntropy(p, t) as number);
    close(r.accuracy, 4 / 6);
    close(r.brier, [0.01, 0.04, 0.36, 0.01, 0.09, 0.36].reduce((a, b) => a + b) / 6);
    expect(r.topK).toBeNull();
    expect(r.perClass[2].support).toBe(1);
  });

  it('rejects bad input with XentError codes and adds nothing', () => {
    const ev = new Evaluator({ classes: 3 }).update([[1, 2, 3]], [0]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(XentError);
        return (e as XentError).code;
      }
      return 'none';
    };
    expect(code(() => ev.update([[1, 2, 3], [1, 2, 3]], [0, 3]))).toBe('LABEL_OUT_OF_RANGE');
    expect(code(() => ev.update([[1, 2, 3], [1, NaN, 3]], [0, 1]))).toBe('NON_FINITE');
    expect(code(() => ev.update([[1, 2, 3]], [0, 1]))).toBe('SHAPE_MISMATCH');
    expect(code(() => new Evaluator({ classes: 3, compat: 'pytorch' as 'torch' }))).toBe('INVALID_OPTION');
    expect(code(() => new Evaluator({ classes: 3, nope: 1 } as never))).toBe('INVALID_OPTION');
    expect(code(() => ev.merge(new Evaluator({ classes: 4 })))).toBe('INVALID_OPTION');
    expect(ev.result().count).toBe(1);
    // The failed batches left nothing behind: the next batch and a reset evaluator give what fresh ones give.
    const next = [[3, 1, 2], [0.5, -1, 4]];
    ev.update(next, [2, 2]);
    expect(ev.toJSON()).toEqual(new Evaluator({ classes: 3 }).update([[1, 2, 3]], [0]).update(next, [2, 2]).toJSON());
    expect(ev.reset().result().count).toBe(0);
    expect(ev.update(next, [1, 0]).toJSON()).toEqual(new Evaluator({ classes: 3 }).update(next, [1, 0]).toJSON());
  });

  it('keeps the sign of a zero loss through JSON (p = 1 gives -ln 1 = -0), so merged states stay bit-identical', () => {
    const ev = new Evaluator({ classes: 2, from: 'probs' }).update([[1, 0]], [0]);
    expect(Object.is(ev.result().min, -0)).toBe(true);
    expect(ev.toJSON().min).toBe('-0');
    expect(Object.is(Evaluator.fromJSON(JSON.stringify(ev)).result().min, -0)).toBe(true);
  });

  it('normalize and tolerance: rounded probability rows, every figure from the rescaled rows', () => {
    const { logits, labels } = data(200, 5, 4);
    // Probabilities rounded to 6 significant digits, as a CSV writer would leave them: sums off by up to ~3e-6.
    const rounded = logits.map((z) => Array.from(softmax(z), (p) => Number(p.toPrecision(6))));
    const sums = rounded.map((r) => r.reduce((a, b) => a + b, 0));
    expect(Math.max(...sums.map((t) => Math.abs(t - 1)))).toBeGreaterThan(1e-6);
    expect(() => new Evaluator({ classes: 5, from: 'probs' }).update(rounded, labels)).toThrow(/sums to/);
    // normalize: the reference is the definitions applied to the rows divided by their sums.
    const scaled = rounded.map((r, i) => r.map((p) => p / sums[i]));
    const ref = reference(scaled.map((r) => r.map(Math.log)), labels);
    for (const input of [rounded, Float64Array.from(rounded.flat())]) {
      const r = new Evaluator({ classes: 5, from: 'probs', normalize: true, topK: 2 }).update(input, labels).result();
      close(r.nats, ref.loss, 1e-13);
      close(r.brier, ref.brier, 1e-13);
      close(r.ece, ref.ece, 1e-13);
      close(r.accuracy, ref.acc);
    }
    // tolerance: the rows are taken as they are (loss -ln p_y of the unrescaled row).
    const t = new Evaluator({ classes: 5, from: 'probs', tolerance: 1e-5 }).update(rounded, labels).result();
    close(t.nats, labels.reduce((a, y, i) => a - Math.log(rounded[i][y]), 0) / labels.length, 1e-13);
    // Settings travel with the state, and must agree to merge.
    const ev = new Evaluator({ classes: 5, from: 'probs', normalize: true }).update(rounded, labels);
    expect(Evaluator.fromJSON(JSON.stringify(ev)).result()).toEqual(ev.result());
    expect(() => ev.merge(new Evaluator({ classes: 5, from: 'probs' }))).toThrow(/different normalize/);
    // Options only probabilities have.
    expect(() => new Evaluator({ classes: 5, normalize: true })).toThrow(/normalize applies to single-label probabilities/);
    expect(() => new Evaluator({ classes: 5, from: 'probs', multiLabel: true, tolerance: 1e-3 })).toThrow(XentError);
    expect(() => new Evaluator({ classes: 5, from: 'probs', tolerance: -1 })).toThrow(/tolerance must be a number/);
  });

  it('compat presets shape the per-row losses; the mean stays the metric Σ w·l / Σ w', () => {
    // Unnormalised probability rows with an exact zero: exact mode rejects them, Keras renormalises and clips.
    const probs = [[0.5, 0.5, 0], [0.2, 0.2, 0.2], [0.7, 0.2, 0.1]];
    const labels = [2, 0, 0];
    const sampleWeight = [1, 2, 3];
    const ev = new Evaluator({ classes: 3, from: 'probs', compat: 'keras' });
    ev.update(probs, labels, { sampleWeight });
    const perRow = categoricalCrossEntropy(probs, labels, { compat: 'keras', reduction: 'none' }) as Float64Array;
    const want = (1 * perRow[0] + 2 * perRow[1] + 3 * perRow[2]) / 6;
    expect(Math.abs(ev.result().loss - want) / want).toBeLessThan(1e-13);
    expect(() => new Evaluator({ classes: 3, from: 'probs' }).update(probs, labels)).toThrow(XentError);
  });

  it('keeps per-class figures up to 1024 classes by default, none above: the state stays small at 151,936 classes', () => {
    const ok = (n: number) => new Evaluator({ classes: n }).options.perClass;
    expect([ok(1024), ok(1025)]).toEqual([true, false]);
    const V = 151_936;
    const rand = prng(21);
    const x = new Float32Array(64 * V).map(() => 6 * rand() - 3);
    const y = Array.from({ length: 64 }, () => Math.floor(rand() * V));
    const off = new Evaluator({ classes: V });
    for (let i = 0; i < 4; i++) off.update(x, y);
    expect(off.result().perClass).toEqual([]);
    const size = JSON.stringify(off).length;
    expect(size).toBeLessThan(16 * 1024);
    // Asked for, per-class figures are kept, and the JSON lists only the classes seen (64 labels, 64 predictions).
    const on = new Evaluator({ classes: V, perClass: true });
    for (let i = 0; i < 4; i++) on.update(x, y);
    const j = JSON.parse(JSON.stringify(on));
    expect(j.perClass.class.length).toBeLessThanOrEqual(128);
    expect(JSON.stringify(on).length).toBeLessThan(64 * 1024);
    const back = Evaluator.fromJSON(j);
    expect(back.result()).toEqual(on.result());
    expect(back.result().perClass[y[0]].support).toBe(on.result().perClass[y[0]].support);
    expect(back.result().nats).toBe(off.result().nats);
    expectXent(() => on.merge(off), 'INVALID_OPTION', 'perClass');
  });

  it('reads states written by the version-1 Evaluator (dense per-class arrays)', () => {
    // Written by the Evaluator of commit ad6d976 (state version 1), with its result (non-finite numbers as strings).
    const file = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/eval-state-v1.json', import.meta.url)), 'utf8'));
    const want = decode<EvalResult>(file.result);
    const ev = Evaluator.fromJSON(JSON.stringify(file.state));
    // The figures that version had; those of the sums it lacked (precision, worst rows, standard errors, ...) are unknown.
    const { standardErrors, perplexityInterval95, bootstrap, ...figures } = ev.result();
    expect(figures).toMatchObject(want);
    expect(bootstrap).toBeNull();
    expect(ev.result().worst).toBeNull();
    expect(Object.values(standardErrors).every(Number.isNaN)).toBe(true);
    expect(perplexityInterval95.every(Number.isNaN)).toBe(true);
    expect(ev.options.perClass).toBe(true);
    expect(ev.toJSON().version).toBe(5);
    // Nor had it the per-class sums of squares: every per-class error is null, and stays so through JSON.
    const classErrors = (e: Evaluator) => e.result().perClass.flatMap((c) => Object.values(c.standardErrors));
    expect(classErrors(ev).every((v) => v === null)).toBe(true);
    expect(classErrors(Evaluator.fromJSON(JSON.stringify(ev))).every((v) => v === null)).toBe(true);
    const { standardErrors: again, perplexityInterval95: _, bootstrap: _b, ...back } = Evaluator.fromJSON(JSON.stringify(ev)).result();
    expect(back).toMatchObject(want);
    expect(Object.values(again).every(Number.isNaN)).toBe(true);
  });

  it('rejects per-class columns that do not fit the classes', () => {
    const j = JSON.parse(JSON.stringify(new Evaluator({ classes: 4 }).update([[1, 2, 3, 4]], [2])));
    expect(j.perClass.class).toEqual([2, 3]);
    const bad = (patch: (p: Record<string, unknown[]>) => void, code: string, what: string) => {
      const k = JSON.parse(JSON.stringify(j));
      patch(k.perClass);
      expectXent(() => Evaluator.fromJSON(k), code, what);
    };
    bad((p) => (p.class[1] = 4), 'INVALID_TYPE', 'perClass.class[1]');
    bad((p) => (p.class[1] = 2), 'INVALID_TYPE', 'increasing');
    bad((p) => p.support.pop(), 'SHAPE_MISMATCH', 'perClass.support');
    bad((p) => (p.classLoss[0] = 'x'), 'INVALID_TYPE', 'perClass.classLoss[0]');
  });
});
