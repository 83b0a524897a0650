/**
 * The bench's workloads: seeded random data and a float64 reference for each. The reference is a plain float64
 * loop over exactly the values the implementations see (the float32 or half values, widened), so it measures each
 * implementation's arithmetic, not the rounding of the inputs.
 */
import { halfToNumber, toHalfBits } from './half.js';

export type Kind = 'softmax' | 'sigmoid' | 'kl';
export type Floats = Float32Array | Float64Array;

export interface WorkloadSpec {
  id: string;
  title: string;
  kind: Kind;
  f32: boolean;
  rows: number;
  cols: number;
  /** Float16 logits (softmax only): the same draws as the float32 workload of this shape, rounded to half. */
  half?: boolean;
  /** Rows in --quick runs, when fewer than `rows` (the title says so). */
  quickRows?: number;
}

export interface Workload extends WorkloadSpec {
  /** Elements a per-element timing divides by: rows × cols (the 4M elements of the flat vector for W3). */
  elements: number;
  /** Logits (softmax, sigmoid) or p (KL), row-major. */
  x: Floats;
  /** Integer labels (softmax). */
  labels?: Int32Array;
  /** 0/1 targets (sigmoid) or q (KL), same dtype and length as x. */
  y?: Floats;
  /** Half workloads: the logits as IEEE half bits; x then holds the same values as float32. */
  halfBits?: Uint16Array;
  /** Mean loss computed in float64 over the same values. */
  reference: number;
}

/** The float16 workload is raced only where xent takes half input; the others always. */
export const WORKLOADS: WorkloadSpec[] = [
  { id: 'W1', title: 'softmax CE 4096 × 1000, labels', kind: 'softmax', f32: true, rows: 4096, cols: 1000 },
  { id: 'W2', title: 'softmax CE 256 × 50257, labels', kind: 'softmax', f32: true, rows: 256, cols: 50257, quickRows: 64 },
  { id: 'W3', title: 'sigmoid CE 4M elements', kind: 'sigmoid', f32: true, rows: 1, cols: 4_000_000 },
  { id: 'W4', title: 'KL 4096 × 1000', kind: 'kl', f32: true, rows: 4096, cols: 1000 },
  { id: 'W5', title: 'softmax CE 512 × 151936 (a Qwen-size window), labels', kind: 'softmax', f32: true, rows: 512, cols: 151_936, quickRows: 32 },
  {
    id: 'W5-f16', title: 'softmax CE 512 × 151936, float16 logits', kind: 'softmax', f32: true, half: true, rows: 512, cols: 151_936,
    quickRows: 32,
  },
  { id: 'W1-f64', title: 'softmax CE 4096 × 1000, float64', kind: 'softmax', f32: false, rows: 4096, cols: 1000 },
  { id: 'W4-f64', title: 'KL 4096 × 1000, float64', kind: 'kl', f32: false, rows: 4096, cols: 1000 },
];

/** mulberry32: small, fast, seeded; the data is the same in every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller), scaled. */
function normals(n: number, scale: number, rand: () => number, f32: boolean): Floats {
  const out = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand())) * scale;
    const a = 2 * Math.PI * rand();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/** Rows that are distributions: softmax of normal logits, normalised in float64, then stored in the dtype. */
function distributions(rows: number, cols: number, rand: () => number, f32: boolean): Floats {
  const z = normals(rows * cols, 1.5, rand, false);
  const out = f32 ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += (z[o + j] = Math.exp(z[o + j]));
    for (let j = 0; j < cols; j++) out[o + j] = z[o + j] / s;
  }
  return out;
}

export function referenceSoftmax(x: Floats, labels: Int32Array, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > m) m = x[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j] - m);
    total += m + Math.log(s) - x[o + labels[r]];
  }
  return total / rows;
}

export function referenceSigmoid(x: Floats, y: Floats): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    total += Math.max(v, 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return total / x.length;
}

export function referenceKL(p: Floats, q: Floats, rows: number, cols: number): number {
  let total = 0;
  for (let i = 0; i < rows * cols; i++) total += p[i] * Math.log(p[i] / q[i]);
  return total / rows;
}

/** The spec as run: --quick takes `quickRows` rows where the spec has them. */
export function sized(spec: WorkloadSpec, quick: boolean): WorkloadSpec {
  if (!quick || !spec.quickRows || spec.quickRows >= spec.rows) return spec;
  return { ...spec, rows: spec.quickRows, title: `${spec.title} (--quick: ${spec.quickRows} of its ${spec.rows} rows)` };
}

export function buildWorkload(spec: WorkloadSpec): Workload {
  const { rows, cols, f32 } = spec;
  const n = rows * cols;
  const rand = rng(0x5eed + n + (f32 ? 0 : 1));
  if (spec.kind === 'softmax') {
    const x = normals(n, 3, rand, f32);
    const labels = new Int32Array(rows);
    for (let r = 0; r < rows; r++) labels[r] = Math.floor(rand() * cols);
    let halfBits: Uint16Array | undefined;
    if (spec.half) {
      halfBits = new Uint16Array(n);
      for (let i = 0; i < n; i++) x[i] = halfToNumber((halfBits[i] = toHalfBits(x[i])));
    }
    return { ...spec, elements: n, x, labels, halfBits, reference: referenceSoftmax(x, labels, rows, cols) };
  }
  if (spec.kind === 'sigmoid') {
    const x = normals(n, 3, rand, f32);
    const y = f32 ? new Float32Array(n) : new Float64Array(n);
    // Targets agree with the sign of the logit 80% of the time: a model that has learned something.
    for (let i = 0; i < n; i++) y[i] = (x[i] > 0) !== rand() < 0.2 ? 1 : 0;
    return { ...spec, elements: n, x, y, reference: referenceSigmoid(x, y) };
  }
  const p = distributions(rows, cols, rand, f32);
  const q = distributions(rows, cols, rand, f32);
  return { ...spec, elements: n, x: p, y: q, reference: referenceKL(p, q, rows, cols) };
}

/** The float arrays a kernel must read for this workload (what the floor sums and copies). */
export function inputsOf(w: Workload): Floats[] {
  return w.y ? [w.x, w.y] : [w.x];
}

/**
 * A workload's arrays travel between the threads of a race by transfer (postMessage's transfer list): one copy
 * exists, handed to the contender whose turn it is. `WorkloadInfo` is the workload without its arrays, `Buffers` them.
 */
export type WorkloadInfo = Omit<Workload, 'x' | 'y' | 'labels' | 'halfBits'>;
export interface Buffers {
  x: ArrayBuffer;
  y?: ArrayBuffer;
  labels?: ArrayBuffer;
  halfBits?: ArrayBuffer;
}

export function ship(w: Workload): { shipped: WorkloadInfo; buffers: Buffers } {
  const { x, y, labels, halfBits, ...shipped } = w;
  const buffers: Buffers = { x: x.buffer as ArrayBuffer };
  if (y) buffers.y = y.buffer as ArrayBuffer;
  if (labels) buffers.labels = labels.buffer as ArrayBuffer;
  if (halfBits) buffers.halfBits = halfBits.buffer as ArrayBuffer;
  return { shipped, buffers };
}

/** The buffers' transfer list. */
export const transferList = (b: Buffers): ArrayBuffer[] => [b.x, b.y, b.labels, b.halfBits].filter((a): a is ArrayBuffer => !!a);

/** Views of the buffers, shaped as the workload (the buffers are whole arrays: ship() took them from fresh ones). */
export function unship(s: WorkloadInfo, b: Buffers): Workload {
  const F = s.f32 ? Float32Array : Float64Array;
  return {
    ...s,
    x: new F(b.x),
    y: b.y && new F(b.y),
    labels: b.labels && new Int32Array(b.labels),
    halfBits: b.halfBits && new Uint16Array(b.halfBits),
  };
}
