/**
 * Shared arbitraries for the property-based fuzzer: value domains, shapes, containers (number[], Float64Array,
 * Float32Array, frozen arrays, views at an offset into a larger buffer), defects that must produce a documented
 * error code, and a hash of every argument to prove that nothing is mutated.
 */
import fc from 'fast-check';

export type Dtype = 'number[]' | 'Float64Array' | 'Float32Array';
export const DTYPES: readonly Dtype[] = ['number[]', 'Float64Array', 'Float32Array'];
export type Code =
  | 'SHAPE_MISMATCH' | 'LABEL_OUT_OF_RANGE' | 'INVALID_PROBABILITY' | 'NON_FINITE' | 'EMPTY_INPUT'
  | 'INVALID_OPTION' | 'INVALID_TYPE' | 'OUT_OF_MEMORY' | 'INTERNAL';

/** The float64 value a dtype holds for x. */
export const hold = (x: number, d: Dtype): number => (d === 'Float32Array' ? Math.fround(x) : x);
export const holdRows = (m: number[][], d: Dtype): number[][] => m.map((r) => r.map((v) => hold(v, d)));

/** How a batch is passed: one vector (1 row), an array of rows, or one flat vector with { classes }. */
export type Form = 'vector' | 'rows' | 'flat';
/** How a typed array is stored: plainly, or as a view at an offset into a larger buffer full of NaN. */
export type Container = 'plain' | 'offset' | 'frozen';

export interface Shape {
  rows: number;
  cols: number;
  form: Form;
  dtype: Dtype;
  container: Container;
}

/** Small shapes, with rare big ones: 0 rows (flat + classes) and one row of 50,000 classes. */
export function shapeArb(opts: { big: boolean; minCols?: number; maxRows?: number; maxCols?: number } = { big: true }): fc.Arbitrary<Shape> {
  const minCols = opts.minCols ?? 1;
  const small = fc.record({
    rows: fc.integer({ min: 1, max: opts.maxRows ?? 5 }),
    cols: fc.integer({ min: minCols, max: opts.maxCols ?? 7 }),
    form: fc.constantFrom<Form>('vector', 'rows', 'flat'),
    dtype: fc.constantFrom<Dtype>(...DTYPES),
    container: fc.constantFrom<Container>('plain', 'plain', 'offset', 'frozen'),
  }).map((s) => (s.form === 'vector' ? { ...s, rows: 1 } : s));
  if (!opts.big) return small;
  const dtype = fc.constantFrom<Dtype>(...DTYPES);
  const zeroRows = dtype.map((d): Shape => ({ rows: 0, cols: 3, form: 'flat', dtype: d, container: 'plain' }));
  const wide = fc.tuple(dtype, fc.constantFrom<Form>('vector', 'flat'))
    .map(([d, f]): Shape => ({ rows: 1, cols: 50_000, form: f, dtype: d, container: 'plain' }));
  return fc.oneof({ weight: 400, arbitrary: small }, { weight: 3, arbitrary: zeroRows }, { weight: 1, arbitrary: wide });
}

const SPECIAL_LOGITS = [0, -0, 5e-324, -5e-324, 1e-310, 1e-38, 1e4, -1e4, 1e38, -1e38, 88.5, -103.9];

/** A finite logit, with extremes (±1e38, ±1e4, subnormals, -0) at low weight. */
export const logitArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_LOGITS) },
);

/** Logits that may hold -Infinity masks (a row is never masked everywhere: that case is a defect). */
export const maskedLogitArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 12, arbitrary: logitArb },
  { weight: 1, arbitrary: fc.constant(-Infinity) },
);

/** A non-negative weight for a probability row, before normalisation (1e-40, 3e-39: float32 subnormals). */
const rawProbArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 5, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 5e-324, 1e-310, 1e-38, 1e-300, 1, 1e-40, 3e-39) },
);

/** A probability in [0, 1]: exact 0, -0 and 1, subnormals, 1e-38, and uniform values. */
export const probArb: fc.Arbitrary<number> = rawProbArb;

/** A row that is a probability distribution (sums to 1 within rounding), generated from a seed of `cols` entries. */
export function distRow(raw: number[], pick: number): number[] {
  const s = raw.reduce((a, b) => a + b, 0);
  if (!(s > 0) || !Number.isFinite(s)) return raw.map((_, j) => (j === pick % raw.length ? 1 : 0));
  return raw.map((v) => v / s);
}

/** A matrix of `rows × cols` values from `arb`, generated row by row (the big shapes use a cheap filler). */
export function matrixArb(shape: Shape, arb: fc.Arbitrary<number>, cheap: (i: number) => number): fc.Arbitrary<number[][]> {
  if (shape.rows * shape.cols > 10_000) {
    return fc.integer({ min: 0, max: 1 << 30 }).map((seed) =>
      Array.from({ length: shape.rows }, (_, r) => Array.from({ length: shape.cols }, (_, j) => cheap(seed + r * shape.cols + j))));
  }
  return fc.array(fc.array(arb, { minLength: shape.cols, maxLength: shape.cols }), { minLength: shape.rows, maxLength: shape.rows });
}

/** Deterministic cheap pseudo-random in [0, 1) from an integer (for the 50,000-class rows). */
export const hash01 = (i: number): number => {
  let t = (i + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Distribution rows for a shape. */
export function distArb(shape: Shape): fc.Arbitrary<number[][]> {
  return fc.tuple(matrixArb(shape, rawProbArb, (i) => hash01(i)), fc.nat(), fc.boolean())
    .map(([m, pick, oneHot]) => m.map((raw, r) => (oneHot && r === 0 && shape.cols <= 10_000
      ? raw.map((_, j) => (j === pick % raw.length ? 1 : 0)) : distRow(raw, pick + r))));
}

/** A vector in the given dtype and container. */
export function vector(x: readonly number[], d: Dtype, c: Container): number[] | Float32Array | Float64Array {
  if (d === 'number[]') {
    const a = [...x];
    return c === 'frozen' ? Object.freeze(a) as number[] : a;
  }
  const Ctor = d === 'Float32Array' ? Float32Array : Float64Array;
  if (c === 'offset') {
    // a view into a larger buffer whose other entries are NaN: reading outside the view would be caught
    const pad = 3;
    const buf = new Ctor(x.length + 2 * pad + 1).fill(NaN);
    const v = new Ctor(buf.buffer, pad * Ctor.BYTES_PER_ELEMENT, x.length);
    v.set(x);
    return v;
  }
  return Ctor.from(x);
}

/** A batch in the shape's form: a vector (one row), an array of rows, or a flat vector (with { classes }). */
export function materialize(m: number[][], s: Shape): unknown {
  if (s.form === 'rows') {
    const rows = m.map((r) => vector(r, s.dtype, s.container));
    return s.container === 'frozen' ? Object.freeze(rows) : rows;
  }
  return vector(s.form === 'vector' ? (m[0] ?? []) : m.flat(), s.dtype, s.container);
}

/** The options a shape needs (`classes` for the flat form). */
export const shapeOptions = (s: Shape): Record<string, unknown> => (s.form === 'flat' ? { classes: s.cols } : {});
export const isBatch = (s: Shape): boolean => s.form !== 'vector';

// ---------------------------------------------------------------------------------------------------------------
// Wrong types: each is rejected as INVALID_TYPE wherever a vector or batch is expected.

export const WRONG_TYPES: readonly { name: string; make: (n: number) => unknown }[] = [
  { name: 'string', make: () => '0.5,0.5' },
  { name: 'null', make: () => null },
  { name: 'object', make: () => ({ length: 2, 0: 0.5, 1: 0.5 }) },
  { name: 'Int32Array', make: (n) => new Int32Array(Math.max(n, 1)) },
  { name: 'Uint8Array', make: (n) => new Uint8Array(Math.max(n, 1)) },
  { name: 'sparse array', make: (n) => {
    const a: number[] = new Array(Math.max(n, 2));
    a[0] = 0.5;
    return a;
  } },
  { name: 'array with a string', make: (n) => ['0.5', ...Array.from({ length: Math.max(n, 2) - 1 }, () => 0.5)] },
  { name: 'array with null', make: (n) => [null, ...Array.from({ length: Math.max(n, 2) - 1 }, () => 0.5)] },
];

// ---------------------------------------------------------------------------------------------------------------
// Argument hashing: an FNV-1a hash over a structural walk (bytes of every typed array's whole buffer, the bits of
// every number, holes, frozen state, object keys). Equal before and after a call, or the call mutated something.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

class Hasher {
  h = 0x811c9dc5;
  byte(b: number): void {
    this.h = Math.imul(this.h ^ b, 0x01000193) >>> 0;
  }
  word(w: number): void {
    this.h = Math.imul(this.h ^ (w >>> 0), 0x01000193) >>> 0;
  }
  num(x: number): void {
    f64[0] = x;
    this.word(u32[0]);
    this.word(u32[1]);
  }
  str(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }
}

function walk(h: Hasher, x: unknown, depth: number): void {
  if (depth > 6) return;
  if (typeof x === 'number') {
    h.word(1);
    h.num(x);
  } else if (typeof x === 'string') {
    h.word(2);
    h.str(x);
  } else if (x === null || x === undefined || typeof x === 'boolean') {
    h.word(3);
    h.str(String(x));
  } else if (ArrayBuffer.isView(x)) {
    h.word(4);
    h.str(x.constructor.name);
    h.word(x.byteOffset);
    h.word(x.byteLength);
    const all = new Uint32Array(x.buffer, 0, x.buffer.byteLength >>> 2);
    for (let i = 0; i < all.length; i++) h.word(all[i]);
  } else if (Array.isArray(x)) {
    h.word(5);
    h.word(x.length);
    h.word(Object.isFrozen(x) ? 1 : 0);
    for (let i = 0; i < x.length; i++) {
      if (!(i in x)) h.word(0xdead);
      else walk(h, x[i], depth + 1);
    }
  } else if (typeof x === 'object') {
    h.word(6);
    for (const k of Object.keys(x as object)) {
      h.str(k);
      walk(h, (x as Record<string, unknown>)[k], depth + 1);
    }
  }
}

export function hashArgs(args: readonly unknown[]): number {
  const h = new Hasher();
  for (const a of args) walk(h, a, 0);
  return h.h;
}

/** A short description of an argument for a repro line. */
export function describe(x: unknown, depth = 0): string {
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
  if (typeof x === 'string') return JSON.stringify(x);
  if (x === null || x === undefined || typeof x === 'boolean') return String(x);
  if (ArrayBuffer.isView(x)) {
    const a = Array.from(x as unknown as ArrayLike<number>);
    const off = x.byteOffset ? `@offset ${x.byteOffset}` : '';
    return `${x.constructor.name}${off}[${a.length > 12 ? `${a.slice(0, 12).map((v) => describe(v)).join(', ')}, … (${a.length})` : a.map((v) => describe(v)).join(', ')}]`;
  }
  if (Array.isArray(x)) {
    const parts: string[] = [];
    for (let i = 0; i < Math.min(x.length, 12); i++) parts.push(i in x ? describe(x[i], depth + 1) : '<hole>');
    return `${Object.isFrozen(x) ? 'frozen' : ''}[${parts.join(', ')}${x.length > 12 ? `, … (${x.length})` : ''}]`;
  }
  if (typeof x === 'object' && depth < 3) {
    return `{ ${Object.entries(x as object).map(([k, v]) => `${k}: ${describe(v, depth + 1)}`).join(', ')} }`;
  }
  return typeof x;
}
