import { type FloatArray, type FloatData, type Float16ArrayLike, type HalfFormat, Float16, HalfArray } from './dtype.js';
import { XentError, detached, isDetached, show } from './errors.js';

/** A single vector of numbers. */
export type Vector = readonly number[] | Float32Array | Float64Array;
/**
 * Half-precision input: a Float16Array, or a Uint16Array of raw bits read as the call's `dtype` ('float16' |
 * 'bfloat16'; an array from allocate('float16' | 'bfloat16') knows its own).
 */
export type HalfVector = Float16ArrayLike | Uint16Array;
/** One row of a batch. */
export type Row = Vector | HalfVector;
/** A batch: an array of rows, or a flat vector with `{ classes }`. */
export type Batch = Row | readonly Row[];
/** Integer labels, one per row. */
export type Labels =
  | readonly number[]
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array;

/** The one view every API function works on: row-major data, its dimensions and how it arrived. */
export interface Matrix {
  data: FloatData;
  rows: number;
  cols: number;
  /** true when the input was a batch (array of rows or flat with `classes`), false for one vector. */
  batch: boolean;
}

/** A Float32Array or Float64Array (not a Proxy of one: its length cannot be read, and wasm cannot copy it). */
export const isFloatArray = (x: unknown): x is FloatArray =>
  (x instanceof Float32Array || x instanceof Float64Array) && ArrayBuffer.isView(x);

function isVector(x: unknown): x is Vector {
  return Array.isArray(x) || isFloatArray(x);
}

/** Half-precision input, resolved or not (a Uint16Array counts: without a dtype it is refused with a hint). */
export const isHalf = (x: unknown): boolean =>
  x instanceof HalfArray || x instanceof Uint16Array || (!!Float16 && x instanceof Float16);

/** An array of rows (rather than one vector of numbers). */
const isRows = (x: unknown): x is readonly unknown[] => Array.isArray(x) && x.length > 0 && (isVector(x[0]) || isHalf(x[0]));

/** Arrays that allocate('float16' | 'bfloat16') handed out, with their format: they need no `dtype`. */
export const halfViews = new WeakMap<Uint16Array, HalfFormat>();

/**
 * The one place that decides what an input computes in: true when every float array among the inputs is a
 * Float32Array or half precision (half computes as float32 does: float32 arithmetic, float64 sums); number[] counts
 * as float64. A call mixing half with float64 runs float64, as Float32Array mixed with float64 does: the half bits
 * still go to the kernels as they are and are widened there, straight to float64.
 */
export function isFloat32(x: unknown): boolean {
  if (x instanceof Float32Array) return isFloatArray(x);
  if (isHalf(x)) return true;
  try {
    if (isRows(x) && !Array.isArray(x[0])) return x.every((r) => r instanceof Float32Array || isHalf(r));
  } catch {
    // an array whose reads throw: asMatrix reports it
  }
  return false;
}

/** True for an array of rows; false also where reading it throws (asMatrix reports that). */
export function isNested(x: unknown): boolean {
  try {
    return isRows(x);
  } catch {
    return false;
  }
}

/** The `length` of an argument, or undefined where it has none or reading it throws. */
export function lengthOf(x: unknown): number | undefined {
  try {
    const n = (x as { length?: unknown } | null | undefined)?.length;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses a view of wasm memory that memory growth detached: it would read as empty. */
function live(x: ArrayBufferView, name: string): void {
  if (x.byteLength === 0 && isDetached(x)) throw detached(name);
}

/**
 * What an exception thrown while reading a caller's argument becomes. A XentError passes through. A RangeError is an
 * allocation that failed: INVALID_TYPE at the first hole of a sparse array (whose length says nothing of its size),
 * else OUT_OF_MEMORY. Anything else (a getter or Proxy that throws) is INVALID_TYPE.
 */
function foreign(e: unknown, name: string, x: unknown): XentError {
  if (e instanceof XentError) return e;
  if (e instanceof RangeError) {
    // a hole in the array, or in its first row
    const own = firstHole(x);
    const row = own < 0 && Array.isArray(x) ? firstHole(x[0]) : -1;
    if (own >= 0 || row >= 0) {
      return typeError(own >= 0 ? `${name}[${own}]` : `${name}[0][${row}]`, undefined, 'a number (the array has holes)');
    }
    return new XentError('OUT_OF_MEMORY', `${name} is too large to copy (${e.message})`);
  }
  return new XentError('INVALID_TYPE', `reading ${name} threw: ${e instanceof Error ? e.message : show(e)}`);
}

/** The first missing index of an array, or -1: for-in visits only the indices it holds, so a sparse one is quick. */
function firstHole(x: unknown): number {
  if (!Array.isArray(x)) return -1;
  let i = 0;
  for (const k in x) {
    if (k !== String(i)) return i;
    i++;
  }
  return i < x.length ? i : -1;
}

/** Runs a resolver of a caller's argument, turning whatever reading it throws into a XentError (foreign). */
export function reading<T>(name: string, x: unknown, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw foreign(e, name, x);
  }
}

/**
 * The half-precision bits of `x` (no copy), or null when x is not half precision. `dtype` says how to read a
 * Uint16Array; it must not contradict a Float16Array or an allocated half array.
 */
function halfOf(x: unknown, name: string, dtype: HalfFormat | undefined): HalfArray | null {
  if (x instanceof HalfArray) return x;
  let format: HalfFormat | undefined;
  let bits: Uint16Array;
  if (Float16 && x instanceof Float16) {
    live(x, name);
    format = 'float16';
    bits = new Uint16Array(x.buffer, x.byteOffset, x.length);
  } else if (x instanceof Uint16Array) {
    live(x, name);
    format = halfViews.get(x);
    bits = x;
    if (format === undefined && dtype === undefined) {
      throw new XentError('INVALID_TYPE', `${name} is a Uint16Array: pass dtype: 'float16' or 'bfloat16' to read it ` +
        'as half-precision bits');
    }
  } else return null;
  if (format !== undefined && dtype !== undefined && dtype !== format) {
    const what = x instanceof Uint16Array ? `an array allocated as '${format}'` : 'a Float16Array';
    throw new XentError('INVALID_OPTION', `dtype is '${dtype}' but ${name} is ${what}`);
  }
  return new HalfArray(bits, format ?? dtype!);
}

/** Rows of half precision copied (as bits) into one row-major HalfArray. */
function halfRows(x: readonly unknown[], name: string, cols: number, dtype: HalfFormat | undefined): HalfArray {
  const first = halfOf(x[0], `${name}[0]`, dtype)!;
  const bits = new Uint16Array(x.length * cols);
  for (let r = 0; r < x.length; r++) {
    const row = halfOf(x[r], `${name}[${r}]`, dtype);
    if (row === null || row.format !== first.format) {
      throw typeError(`${name}[${r}]`, x[r], `${first.format} like ${name}[0] (rows share one dtype)`);
    }
    if (row.length !== cols) {
      throw new XentError('SHAPE_MISMATCH', `${name}[${r}] has ${row.length} entries, ${name}[0] has ${cols}`);
    }
    bits.set(row.bits, r * cols);
  }
  return new HalfArray(bits, first.format);
}

function typeError(name: string, v: unknown, what: string): XentError {
  return new XentError('INVALID_TYPE', `${name} must be ${what}, got ${show(v)}`);
}

function checkClasses(classes: unknown): number | undefined {
  if (classes === undefined) return undefined;
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes < 1) {
    throw new XentError('INVALID_OPTION', `classes must be a positive integer, got ${show(classes)}`);
  }
  return classes;
}

/** Copies number[] into a typed array, rejecting holes and non-numbers by index. */
function fill(out: FloatArray, offset: number, src: readonly number[], name: string): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (typeof v !== 'number') throw typeError(`${name}[${i}]`, v, 'a number');
    out[offset + i] = v;
  }
}

/**
 * Resolves a vector or batch into a Matrix of the requested dtype. Typed arrays of the right type are used as they
 * are (never written to); anything else is copied once. `f32` says which dtype the kernels will run. Half-precision
 * input stays half (a view of its bits; rows are copied as bits): the kernels widen it to their dtype. `dtype` is
 * the call's option, how to read Uint16Array input.
 */
export function asMatrix(x: unknown, name: string, classesOpt: unknown, f32: boolean, dtype?: HalfFormat): Matrix {
  return reading(name, x, () => matrixOf(x, name, classesOpt, f32, dtype));
}

function matrixOf(x: unknown, name: string, classesOpt: unknown, f32: boolean, dtype?: HalfFormat): Matrix {
  const classes = checkClasses(classesOpt);
  const Ctor = f32 ? Float32Array : Float64Array;
  if (isRows(x)) {
    const rows = x.length;
    const cols = (x[0] as ArrayLike<unknown>).length;
    if (classes !== undefined && classes !== cols) {
      throw new XentError('SHAPE_MISMATCH', `${name}[0] has ${cols} entries but classes is ${classes}`);
    }
    if (isHalf(x[0])) return { data: halfRows(x, name, cols, dtype), rows, cols, batch: true };
    const data = new Ctor(rows * cols);
    for (let r = 0; r < rows; r++) {
      const row = x[r] as unknown;
      if (!isVector(row)) throw typeError(`${name}[${r}]`, row, `a row (number[] | Float32Array | Float64Array, like ${name}[0])`);
      if (isFloatArray(row)) live(row, `${name}[${r}]`);
      if (row.length !== cols) {
        throw new XentError('SHAPE_MISMATCH', `${name}[${r}] has ${row.length} entries, ${name}[0] has ${cols}`);
      }
      if (Array.isArray(row)) fill(data, r * cols, row, `${name}[${r}]`);
      else data.set(row as FloatArray, r * cols);
    }
    return { data, rows, cols, batch: true };
  }
  let data: FloatData | null = halfOf(x, name, dtype);
  if (data === null) {
    if (!isVector(x)) throw typeError(name, x, 'number[] | Float32Array | Float64Array | Float16Array, or an array of rows');
    if (isFloatArray(x)) live(x, name);
    if (x instanceof Ctor) data = x;
    else if (isFloatArray(x)) data = new Ctor(x);
    else {
      data = new Ctor(x.length);
      fill(data, 0, x as readonly number[], name);
    }
  }
  if (classes === undefined) return { data, rows: 1, cols: data.length, batch: false };
  if (data.length % classes !== 0) {
    throw new XentError('INVALID_OPTION', `classes (${classes}) does not divide the length of ${name} (${data.length})`);
  }
  return { data, rows: data.length / classes, cols: classes, batch: true };
}

/** A second matrix that must have the same shape as `like` (targets, q in a divergence). */
export function asMatrixLike(
  x: unknown, name: string, like: Matrix, likeName: string, f32: boolean, dtype?: HalfFormat,
): Matrix {
  const m = asMatrix(x, name, like.batch && !isNested(x) ? like.cols : undefined, f32, dtype);
  if (m.rows !== like.rows || m.cols !== like.cols) {
    throw new XentError(
      'SHAPE_MISMATCH',
      `${name} is ${m.rows}×${m.cols} but ${likeName} is ${like.rows}×${like.cols}`,
    );
  }
  return m;
}

/** A per-class or per-row vector option (weight, sampleWeight, posWeight) as the kernels' dtype. */
export function asVectorOption(x: unknown, name: string, length: number, f32: boolean): FloatArray {
  return reading(name, x, () => vectorOf(x, name, length, f32));
}

function vectorOf(x: unknown, name: string, length: number, f32: boolean): FloatArray {
  if (!isVector(x) || (Array.isArray(x) && x.length > 0 && isVector(x[0]))) {
    throw typeError(name, x, 'number[] | Float32Array | Float64Array');
  }
  if (isFloatArray(x)) live(x, name);
  if (x.length !== length) {
    throw new XentError('SHAPE_MISMATCH', `${name} has length ${x.length}, expected ${length}`);
  }
  const Ctor = f32 ? Float32Array : Float64Array;
  if (x instanceof Ctor) return x;
  if (isFloatArray(x)) return new Ctor(x);
  const out = new Ctor(length);
  fill(out, 0, x as readonly number[], name);
  return out;
}

/** Checks a weight vector: finite and non-negative. Returns it for chaining. */
export function checkWeights(w: FloatArray, name: string): FloatArray {
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    if (Number.isNaN(v)) throw new XentError('NON_FINITE', `${name}[${i}] is NaN`);
    if (!(v >= 0) || v === Infinity) {
      throw new XentError('INVALID_OPTION', `${name}[${i}] must be finite and >= 0, got ${show(v)}`);
    }
  }
  return w;
}

/** A weight option read in float64 (its scale is taken out before any float32 kernel sees it) and checked. */
export const weights = (x: unknown, name: string, length: number): Float64Array =>
  checkWeights(asVectorOption(x, name, length, false), name) as Float64Array;

const INT_ARRAYS = [Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array];

/**
 * Resolves integer labels into an Int32Array for `rows` rows of `cols` classes. `ignoreIndex` rows become -1.
 * Non-integers and labels outside [0, cols) are LABEL_OUT_OF_RANGE, naming the index and value.
 */
export function asLabels(y: unknown, name: string, rows: number, cols: number, ignoreIndex: number | undefined): Int32Array {
  return reading(name, y, () => labelsOf(y, name, rows, cols, ignoreIndex));
}

function labelsOf(y: unknown, name: string, rows: number, cols: number, ignoreIndex: number | undefined): Int32Array {
  if (!Array.isArray(y) && !isFloatArray(y) && !(Float16 && y instanceof Float16)
    && !INT_ARRAYS.some((C) => y instanceof C && ArrayBuffer.isView(y))) {
    throw typeError(name, y, 'an array of integer labels');
  }
  if (!Array.isArray(y)) live(y as ArrayBufferView, name);
  const src = y as ArrayLike<unknown>;
  if (src.length !== rows) {
    throw new XentError('SHAPE_MISMATCH', `${name} has ${src.length} labels but there are ${rows} rows`);
  }
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const v = src[r];
    if (typeof v !== 'number') throw typeError(`${name}[${r}]`, v, 'an integer label');
    if (v === ignoreIndex) {
      out[r] = -1;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= cols) {
      throw new XentError(
        'LABEL_OUT_OF_RANGE',
        `${name}[${r}] is ${show(v)}; labels must be integers in [0, ${cols})` +
          (ignoreIndex === undefined ? '' : ` or the ignoreIndex ${ignoreIndex}`),
      );
    }
    out[r] = v;
  }
  return out;
}

/**
 * True when a target given for `rows × cols` logits is integer labels rather than dense rows (see README). A
 * Uint16Array is labels, unless it is half-precision bits (a `dtype` given, or allocated as half) shaped like the
 * logits.
 */
export function isLabelTarget(t: unknown, rows: number, cols: number, dtype?: HalfFormat): boolean {
  if (typeof t === 'number') return true;
  try {
    if (Array.isArray(t)) {
      const n = t.length;
      return !isRows(t) && (n === rows || n !== rows * cols);
    }
    const half = t instanceof Uint16Array ? dtype !== undefined || halfViews.has(t) : isHalf(t);
    if (isFloatArray(t) || half) return (t as ArrayLike<number>).length !== rows * cols;
  } catch {
    return true; // unreadable: asLabels names the problem
  }
  return INT_ARRAYS.some((C) => t instanceof C);
}
