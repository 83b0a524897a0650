/**
 * The fused evaluation kernel (Kernels.softmaxEvalLabels) against a float64 reference on every backend and both
 * element types (ties, -Infinity masks, confident rows, 50,257 classes, widths off the vector blocks), its loss
 * bit-for-bit that of softmaxCrossEntropyLabels, and the Evaluator's single-label logits results against the
 * three-pass computation it replaced (softmaxCrossEntropy, logSumExp at temperature ½, a JS pass).
 */
import { describe, expect, it } from 'vitest';
import { Evaluator, logSumExp, softmaxCrossEntropy } from '../src/index.js';
import { full } from '../src/backend/full.js';
import { kernels } from '../src/backend/select.js';
import { binOf, ECE_BINS, expectedCalibrationError } from '../src/eval/calibration.js';
import { describeBackends, prng } from './helpers.js';

interface Case {
  name: string;
  cols: number;
  x: number[];
  labels: number[];
}

/** Float64 reference of one row (the values the array holds): nll, above (the whole count), top, maxP, sumSq, pY. */
function reference(x: ArrayLike<number>, off: number, cols: number, y: number) {
  if (y < 0) return { nll: 0, above: 0, top: 0, maxP: 0, sumSq: 0, pY: 0 };
  let m = -Infinity;
  let top = -1;
  for (let j = 0; j < cols; j++) {
    const v = x[off + j];
    if (v > m) m = v;
  }
  for (let j = 0; j < cols && top < 0; j++) if (x[off + j] === m) top = j;
  const zy = x[off + y];
  let above = 0;
  for (let j = 0; j < cols; j++) if (x[off + j] > zy) above++;
  // The prediction: the label when nothing is above it (ties go to the label), else the first maximum.
  if (above === 0) top = y;
  let hasNaN = false;
  for (let j = 0; j < cols; j++) if (Number.isNaN(x[off + j])) hasNaN = true;
  if (!Number.isFinite(m) || hasNaN) {
    const nll = hasNaN || m === Infinity ? NaN : Infinity;
    return { nll, above, top, maxP: NaN, sumSq: NaN, pY: Math.exp(-nll) };
  }
  // rest = Σ_{z_j != m} exp(z_j - m) (the ties' ones apart), terms sorted ascending: accurate for confident rows.
  const terms: number[] = [];
  const sq: number[] = [];
  let ties = 0;
  for (let j = 0; j < cols; j++) {
    const d = x[off + j] - m;
    if (d === 0) ties++;
    else {
      terms.push(Math.exp(d));
      sq.push(Math.exp(2 * d));
    }
  }
  terms.sort((a, b) => a - b);
  sq.sort((a, b) => a - b);
  const rest = terms.reduce((a, b) => a + b, 0) + (ties - 1);
  const lg = Math.log1p(rest);
  const S = 1 + rest;
  const nll = zy === -Infinity ? Infinity : m - zy + lg;
  return { nll, above, top, maxP: Math.exp(-lg), sumSq: (ties + sq.reduce((a, b) => a + b, 0)) / (S * S), pY: Math.exp(-nll) };
}

function normals(n: number, scale: number, rand: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = 1 - rand();
    const v = rand();
    out.push(scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

function cases(): Case[] {
  const rand = prng(0xe7a1);
  const out: Case[] = [];
  for (const cols of [1, 3, 5, 31, 37, 128, 1000, 1003]) {
    const rows = 6;
    const x = normals(rows * cols, 3, rand);
    const labels = Array.from({ length: rows }, () => Math.floor(rand() * cols));
    out.push({ name: `random ${rows}×${cols}`, cols, x, labels });
  }
  {
    // Ties: the label tied with the max (first or later occurrence), ties above the label, a constant row.
    const cols = 70;
    const base = normals(cols, 1, rand);
    const rows: number[][] = [];
    const labels: number[] = [];
    let r = [...base];
    r[10] = r[40] = r[65] = 9;
    rows.push(r), labels.push(40); // label tied with the max, not the first maximum
    rows.push([...r]), labels.push(10); // label is the first maximum
    r = [...base];
    r[5] = r[50] = 4;
    r[20] = 2;
    r[33] = 2;
    rows.push(r), labels.push(33); // ties with the label below the max
    rows.push(new Array(cols).fill(1.5)), labels.push(69);
    out.push({ name: 'ties', cols, x: rows.flat(), labels });
  }
  {
    // Masks and edges: masked entries, a masked label, an all-masked row, ignored rows, +Infinity, NaN.
    const cols = 45;
    const rows: number[][] = [];
    const labels: number[] = [];
    let r = normals(cols, 2, rand);
    for (let j = 0; j < cols; j += 3) r[j] = -Infinity;
    rows.push(r), labels.push(1);
    rows.push([...r]), labels.push(3); // the label is masked: nll = +Infinity
    rows.push(new Array(cols).fill(-Infinity)), labels.push(7);
    rows.push(normals(cols, 2, rand)), labels.push(-1);
    r = normals(cols, 2, rand);
    r[12] = Infinity;
    rows.push(r), labels.push(0);
    r = normals(cols, 2, rand);
    r[40] = NaN;
    rows.push(r), labels.push(2);
    out.push({ name: 'masks and edges', cols, x: rows.flat(), labels });
  }
  {
    // Confident rows: the loss is the tiny rest, which must keep its relative accuracy.
    const cols = 300;
    const rows: number[][] = [];
    const labels: number[] = [];
    for (const gap of [8, 20, 40, 90]) {
      const r = normals(cols, 0.5, rand);
      r[17] = gap;
      rows.push(r), labels.push(17);
      rows.push([...r]), labels.push(200); // wrong and sure
    }
    out.push({ name: 'confident', cols, x: rows.flat(), labels });
  }
  {
    // Where the first maximum lies, against the 128-element blocks and the 32-element loop of the float32 pass
    // (which finds the next row's max and the block holding its first occurrence): block edges, the rest after the
    // last full loop, an equal maximum in a later block, a -0/+0 tie, a NaN before the maximum. Labels sit below the
    // maximum (the prediction is then the first maximum); the first row has no previous row to find its max.
    const cols = 1003;
    const rows: number[][] = [];
    const labels: number[] = [];
    const at = (...where: number[]) => {
      const r = normals(cols, 1, rand);
      for (const j of where) r[j] = 7;
      rows.push(r), labels.push(1);
    };
    for (const j of [600, 0, 127, 128, 255, 500, 895, 896, 991, 992, 999, 1000, 1002]) at(j);
    at(300, 700);
    at(5, 1001);
    at(200, 960);
    const z = normals(cols, 1, rand).map((v) => -1 - Math.abs(v));
    z[200] = -0;
    z[600] = 0;
    rows.push(z), labels.push(3);
    const n = normals(cols, 1, rand);
    n[100] = NaN;
    n[400] = 9;
    rows.push(n), labels.push(2);
    out.push({ name: 'first maximum', cols, x: rows.flat(), labels });
  }
  {
    const cols = 50257;
    const x = normals(2 * cols, 4, rand);
    x[cols + 123] = 25; // one confident row
    out.push({ name: '2×50257', cols, x, labels: [31337, 123] });
  }
  return out;
}

const CASES = cases();

describeBackends('softmaxEvalLabels', () => {
  for (const f32 of [false, true]) {
    const rel = f32 ? 2e-6 : 1e-13;
    for (const c of CASES) {
      it(`${c.name}, ${f32 ? 'float32' : 'float64'}`, () => {
        const k = full();
        const x = f32 ? Float32Array.from(c.x) : Float64Array.from(c.x);
        const rows = x.length / c.cols;
        const labels = Int32Array.from(c.labels);
        const refs = Array.from({ length: rows }, (_, r) => reference(x, r * c.cols, c.cols, labels[r]));
        // The rank is counted up to k: one, a few, and more than there are classes.
        for (const topK of [1, 3, c.cols + 1]) {
          const nll = new Float64Array(rows);
          const above = new Int32Array(rows);
          const top = new Int32Array(rows);
          const maxP = new Float64Array(rows);
          const sumSq = new Float64Array(rows);
          const pY = new Float64Array(rows);
          k.softmaxEvalLabels(x, rows, c.cols, labels, topK, nll, above, top, maxP, sumSq, pY);
          // The loss is softmaxCrossEntropyLabels' to the bit.
          const ce = new Float64Array(rows);
          k.softmaxCrossEntropyLabels(x, rows, c.cols, 1, labels, null, ce, null);
          expect(Array.from(nll)).toEqual(Array.from(ce));
          for (let r = 0; r < rows; r++) {
            const ref = refs[r];
            const where = `row ${r}, k = ${topK}`;
            expect(above[r], where).toBe(Math.min(ref.above, topK));
            expect(top[r], where).toBe(ref.top);
            for (const [name, got, want] of [
              ['nll', nll[r], ref.nll], ['maxP', maxP[r], ref.maxP], ['sumSq', sumSq[r], ref.sumSq], ['pY', pY[r], ref.pY],
            ] as const) {
              if (!Number.isFinite(want)) expect(got, `${where} ${name}`).toBe(want);
              else expect(Math.abs(got - want), `${where} ${name}: ${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + 1e-300);
            }
          }
        }
      });
    }
  }
});

/** The Evaluator's former three-pass computation of the headline figures (unit weights, nats). */
function threePass(x: Float32Array | Float64Array, cols: number, labels: Int32Array, topK: number) {
  const rows = labels.length;
  const nll = softmaxCrossEntropy(x, labels, { classes: cols, reduction: 'none', ignoreIndex: -1 }) as Float64Array;
  const lse2 = logSumExp(x, { classes: cols, temperature: 0.5 }) as Float64Array;
  let n = 0;
  let loss = 0;
  let correct = 0;
  let inTop = 0;
  let brier = 0;
  const eceW = new Float64Array(ECE_BINS);
  const eceC = new Float64Array(ECE_BINS);
  const eceK = new Float64Array(ECE_BINS);
  const predicted = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const y = labels[r];
    if (y < 0) continue;
    const b = r * cols;
    const zy = x[b + y];
    let m = zy;
    let am = y;
    let rank = 0;
    for (let j = 0; j < cols; j++) {
      const v = x[b + j];
      if (v > zy) {
        rank++;
        if (v > m) (m = v), (am = j);
      }
    }
    const l = nll[r];
    let lse = zy + l;
    if (!Number.isFinite(lse)) lse = logSumExp(x.subarray(b, b + cols)) as number;
    const py = Math.exp(-l);
    const conf = Math.exp(m - lse);
    const sumSq = Math.exp(lse2[r] - 2 * lse);
    const ok = rank === 0 ? 1 : 0;
    n++;
    loss += l;
    correct += ok;
    inTop += rank < topK ? 1 : 0;
    brier += Math.max(0, sumSq - 2 * py + 1);
    const bin = binOf(conf);
    eceW[bin] += 1;
    eceC[bin] += conf;
    eceK[bin] += ok;
    predicted[am] += 1;
  }
  return {
    loss: loss / n, accuracy: correct / n, topK: inTop / n, brier: brier / n,
    ece: expectedCalibrationError(eceW, eceC, eceK), predicted,
  };
}

describeBackends('Evaluator on logits: results of the fused kernel', () => {
  for (const f32 of [false, true]) {
    it(f32 ? 'float32' : 'float64', () => {
      const rand = prng(0xbeef);
      const cols = 257;
      const rows = 300;
      const raw = normals(rows * cols, 2.5, rand);
      const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * cols));
      // Some confident rows, some ties with the label, a masked entry, ignored rows.
      for (let r = 0; r < rows; r += 7) raw[r * cols + labels[r]] += 12;
      for (let r = 3; r < rows; r += 11) raw[r * cols + 5] = raw[r * cols + labels[r]] = 30;
      for (let r = 1; r < rows; r += 13) raw[r * cols + ((labels[r] + 1) % cols)] = -Infinity;
      for (let r = 2; r < rows; r += 17) labels[r] = -1;
      const x = f32 ? Float32Array.from(raw) : Float64Array.from(raw);
      const ev = new Evaluator({ classes: cols, topK: 5, ignoreIndex: -1 }).update(x, labels);
      const got = ev.result();
      const want = threePass(x, cols, labels, 5);
      const tol = f32 ? 1e-6 : 1e-12;
      expect(got.nats).toBeCloseTo(want.loss, 12);
      expect(got.accuracy).toBe(want.accuracy);
      expect(got.topK!.accuracy).toBe(want.topK);
      expect(Math.abs(got.brier - want.brier)).toBeLessThanOrEqual(tol * want.brier);
      expect(Math.abs(got.ece - want.ece)).toBeLessThanOrEqual(tol);
      expect(got.perClass.map((c) => c.predicted)).toEqual(Array.from(want.predicted));
    });
  }

  it('still rejects NaN and +Infinity logits and all -Infinity rows', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    for (const bad of [NaN, Infinity]) {
      const ev = new Evaluator({ classes: 3 });
      expect(code(() => ev.update(Float32Array.from([1, 2, 3, 0, bad, 1]), [0, 1]))).toBe('NON_FINITE');
      expect(ev.result().count).toBe(0);
    }
    const ev = new Evaluator({ classes: 2 });
    expect(code(() => ev.update([[-Infinity, -Infinity]], [0]))).toBe('NON_FINITE');
    // A masked true class is a valid, infinitely bad prediction.
    ev.update([[-Infinity, 0]], [0]);
    expect(ev.result().max).toBe(Infinity);
  });
});

describe('softmaxEvalLabels exists on the active kernels', () => {
  it('is a method', () => expect(typeof kernels().softmaxEvalLabels).toBe('function'));
});
