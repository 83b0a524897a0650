/**
 * The token-scoring kernel (ScoringKernels.scoreTokens) against the float64 reference of test/lm-reference.ts on every
 * backend and both element types: random rows of several widths (off the vector blocks), rows whose max is far above
 * the target, confident rows (where the fast float32 sums give way to the precise pass), ties at the rank and top-k
 * boundaries, a target below every other entry, masked entries, a temperature, ignored rows and a 262,144-wide row.
 */
import { describe, expect, it } from 'vitest';
import { scoring } from '../src/backend/scoring.js';
import { scoreRow } from './lm-reference.js';
import { describeBackends, prng } from './helpers.js';

interface Case {
  name: string;
  cols: number;
  x: number[];
  labels: number[];
  s?: number;
}

function normals(n: number, scale: number, rand: () => number): number[] {
  return Array.from({ length: n }, () => scale * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

function cases(): Case[] {
  const rand = prng(0x5c0e);
  const out: Case[] = [];
  for (const cols of [1, 2, 3, 5, 31, 33, 127, 129, 1000, 1003]) {
    const rows = 5;
    out.push({
      name: `random ${rows}×${cols}`, cols, x: normals(rows * cols, 3, rand),
      labels: Array.from({ length: rows }, () => Math.floor(rand() * cols)),
    });
  }
  {
    // The target far below the max (log-probabilities near -100 and -1000), and confident rows either way.
    const cols = 300;
    const rows: number[][] = [];
    const labels: number[] = [];
    for (const gap of [3, 8, 20, 40, 90, 100, 1000]) {
      const r = normals(cols, 0.5, rand);
      r[17] = gap;
      rows.push(r), labels.push(17);
      rows.push([...r]), labels.push(200);
    }
    out.push({ name: 'far below the max, confident', cols, x: rows.flat(), labels });
  }
  {
    // Ties: the target tied with the max, ties above the target, ties at the k-th place, a constant row, -0 and +0.
    const cols = 70;
    const base = normals(cols, 1, rand);
    const rows: number[][] = [];
    const labels: number[] = [];
    let r = [...base];
    r[10] = r[40] = r[65] = 9;
    rows.push(r), labels.push(40);
    r = [...base];
    r[5] = r[50] = 4;
    r[20] = r[33] = r[61] = 2;
    rows.push(r), labels.push(33);
    rows.push(new Array(cols).fill(1.5)), labels.push(69);
    r = base.map((v) => -1 - Math.abs(v));
    r[3] = -0;
    r[30] = 0;
    rows.push(r), labels.push(30);
    out.push({ name: 'ties', cols, x: rows.flat(), labels });
  }
  {
    // Masks: masked entries, a masked target (log-probability -Infinity), a row with one unmasked entry.
    const cols = 45;
    const rows: number[][] = [];
    const labels: number[] = [];
    const r = normals(cols, 2, rand);
    for (let j = 0; j < cols; j += 3) r[j] = -Infinity;
    rows.push(r), labels.push(1);
    rows.push([...r]), labels.push(3);
    const one = new Array(cols).fill(-Infinity);
    one[7] = 2;
    rows.push(one), labels.push(7);
    out.push({ name: 'masks', cols, x: rows.flat(), labels });
  }
  {
    // The target below every other entry, or tied with all of them: every lane of the rank count fills up.
    const cols = 4099;
    const r = normals(cols, 1, rand).map((v) => 2 + Math.abs(v));
    r[1234] = 1;
    out.push({ name: 'target at the bottom', cols, x: [...r, ...new Array(cols).fill(0.5)], labels: [1234, 4098] });
  }
  out.push({ name: 'temperature 0.7', cols: 129, x: normals(4 * 129, 4, rand), labels: [0, 5, 128, 64], s: 1 / 0.7 });
  out.push({ name: 'temperature 3', cols: 40, x: normals(3 * 40, 4, rand), labels: [1, 2, 3], s: 1 / 3 });
  out.push({ name: 'ignored rows', cols: 50, x: normals(4 * 50, 2, rand), labels: [-1, 3, -1, 49] });
  {
    const cols = 262_144;
    const x = normals(2 * cols, 2.5, rand);
    x[cols + 99] = 40; // the second row is sure of token 99
    out.push({ name: '2×262144', cols, x, labels: [200_000, 99] });
  }
  return out;
}

const CASES = cases();

describeBackends('scoreTokens kernel', () => {
  for (const f32 of [false, true]) {
    // Float32 rows: float32 exp terms and float64 sums (see the Kernels contract); float64 rows: a few ulp.
    const rel = f32 ? 1e-6 : 1e-13;
    for (const c of CASES) {
      it(`${c.name}, ${f32 ? 'float32' : 'float64'}`, () => {
        const x = f32 ? Float32Array.from(c.x) : Float64Array.from(c.x);
        const rows = x.length / c.cols;
        const labels = Int32Array.from(c.labels);
        const s = c.s ?? 1;
        const K = Math.min(5, c.cols);
        const row = (r: number) => x.subarray(r * c.cols, (r + 1) * c.cols);
        const refs = Array.from(labels, (y, r) => (y < 0 ? null : scoreRow(row(r), y, K, s)));
        for (const [k, withIds, cap] of [[0, false, c.cols], [K, true, 2], [1, false, c.cols], [1, true, c.cols]] as const) {
          const logprob = new Float64Array(rows);
          const rank = new Int32Array(rows);
          const entropy = new Float64Array(rows);
          const topIds = withIds ? new Int32Array(rows * k) : null;
          const topLogprobs = k > 0 ? new Float64Array(rows * k) : null;
          scoring().scoreTokens(x, rows, c.cols, s, labels, cap, logprob, rank, entropy, k, topIds, topLogprobs);
          for (let r = 0; r < rows; r++) {
            const ref = refs[r];
            const where = `row ${r}, k = ${k}`;
            if (ref === null) {
              expect([logprob[r], rank[r], entropy[r]], where).toEqual([0, -1, 0]);
              if (topIds) expect(Array.from(topIds.subarray(r * k, r * k + k))).toEqual(new Array(k).fill(-1));
              if (topLogprobs) expect(Array.from(topLogprobs.subarray(r * k, r * k + k))).toEqual(new Array(k).fill(0));
              continue;
            }
            close(logprob[r], ref.logprob, rel, `${where} logprob`);
            close(entropy[r], ref.entropy, rel, `${where} entropy`);
            expect(rank[r], where).toBe(Math.min(ref.rank, cap));
            if (topIds) {
              expect(Array.from(topIds.subarray(r * k, r * k + k)), where).toEqual(ref.topIds.slice(0, k));
            }
            for (let i = 0; i < k; i++) close(topLogprobs![r * k + i], ref.topLogprobs[i], rel, `${where} top ${i}`);
          }
        }
      });
    }
  }

  it('keeps log-probabilities finite and accurate far below the max (float32, near -100 and -1000)', () => {
    const cols = 1000;
    const x = new Float32Array(cols);
    x[0] = 100;
    x[1] = -3.5;
    x[2] = -900;
    for (const y of [1, 2]) {
      const out = new Float64Array(1);
      const [rank, entropy] = [new Int32Array(1), new Float64Array(1)];
      scoring().scoreTokens(x, 1, cols, 1, Int32Array.of(y), cols, out, rank, entropy, 0, null, null);
      const want = scoreRow(x, y).logprob;
      expect(Number.isFinite(out[0])).toBe(true);
      close(out[0], want, 1e-7, `target ${y}`);
    }
  });
});

function close(got: number, want: number, rel: number, label: string): void {
  if (!Number.isFinite(want)) {
    expect(got, label).toBe(want);
    return;
  }
  const err = Math.abs(got - want);
  if (!(err <= rel * Math.abs(want) + 1e-300)) {
    expect.fail(`${label}: got ${got}, expected ${want} (relative error ${(err / Math.abs(want)).toExponential(2)})`);
  }
}

describe('scoreTokens exists on the active kernels', () => {
  it('is a method', () => expect(typeof scoring().scoreTokens).toBe('function'));
});
