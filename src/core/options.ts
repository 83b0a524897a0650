import type { HalfFormat } from './dtype.js';
import { XentError, show } from './errors.js';
import type { Row } from './shape.js';

export type Reduction = 'mean' | 'sum' | 'none';

/** Options shared by every batch function. */
export interface BatchOptions {
  /** Classes per row when the batch is given as one flat vector. */
  classes?: number;
  /** How per-row (or per-element) values are combined: 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/** Options of every function that returns an amount of information. */
export interface UnitOptions {
  /** Logarithm base of the result: 2 for bits, Math.E (default) for nats, 10 for bans. */
  base?: number;
}

/** The option of every function that takes logits or probabilities. */
export interface HalfOptions {
  /**
   * How to read Uint16Array input: raw 'float16' (IEEE binary16) or 'bfloat16' bits. Not needed for a Float16Array,
   * nor for an array from allocate('float16' | 'bfloat16'), which it must not contradict.
   */
  dtype?: HalfFormat;
}

export function dtypeOf(v: unknown): HalfFormat | undefined {
  if (v === undefined || v === 'float16' || v === 'bfloat16') return v;
  throw new XentError('INVALID_OPTION', `dtype must be 'float16' or 'bfloat16' (how to read Uint16Array input), got ${show(v)}`);
}

export function reductionOf(v: unknown): Reduction {
  if (v === undefined) return 'mean';
  if (v === 'mean' || v === 'sum' || v === 'none') return v;
  throw new XentError('INVALID_OPTION', `reduction must be 'mean', 'sum' or 'none', got ${show(v)}`);
}

/** The divisor that turns nats into the requested unit: ln(base). */
export function unitOf(base: unknown): number {
  if (base === undefined) return 1;
  // Information is non-negative in every unit people use; a base below 1 would flip its sign.
  if (typeof base !== 'number' || !(base > 1) || base === Infinity) {
    throw new XentError('INVALID_OPTION', `base must be a finite number > 1 (2 bits, e nats, 10 bans), got ${show(base)}`);
  }
  return base === Math.E ? 1 : Math.log(base);
}

/** The name of the unit of a logarithm base: 'nats', 'bits', 'bans' or 'log base b'. */
export function unitName(base: number): string {
  if (base === Math.E) return 'nats';
  if (base === 2) return 'bits';
  if (base === 10) return 'bans';
  return `log base ${base}`;
}

/** A number option within [lo, hi] (inclusive unless `openHi`); `fallback` when absent. */
export function numberIn(v: unknown, name: string, lo: number, hi: number, fallback: number, openHi = false): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= lo) || (openHi ? !(v < hi) : !(v <= hi))) {
    throw new XentError('INVALID_OPTION', `${name} must be a number in [${lo}, ${hi}${openHi ? ')' : ']'}, got ${show(v)}`);
  }
  return v;
}

/** The largest float32, 2^128 - 2^104. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * 1 / temperature, the scale applied to logits. A temperature below 1 / Number.MAX_VALUE (~5.6e-309, a subnormal)
 * has no finite reciprocal, and the float32 kernels (`f32`) take the scale in float32 lanes, which end at
 * ~3.4e38: such temperatures are refused, rather than scaling by Infinity (0·Infinity at the max is NaN).
 */
export function scaleOf(temperature: unknown, f32 = false): number {
  if (temperature === undefined) return 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || temperature === Infinity) {
    throw new XentError('INVALID_OPTION', `temperature must be a finite number > 0, got ${show(temperature)}`);
  }
  const s = 1 / temperature;
  if (s > (f32 ? FLOAT32_MAX : Number.MAX_VALUE)) {
    const least = f32 ? '1 / 3.4e38 (2.94e-39) for float32 input' : '1 / Number.MAX_VALUE (5.57e-309)';
    throw new XentError('INVALID_OPTION', `temperature must be at least ${least}, so that 1 / temperature is finite, got ${show(temperature)}`);
  }
  return s;
}

export function integerOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new XentError('INVALID_OPTION', `${name} must be an integer, got ${show(v)}`);
  }
  return v;
}

export function booleanOption(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new XentError('INVALID_OPTION', `${name} must be a boolean, got ${show(v)}`);
  return v;
}

/**
 * The options a call sees: the object's own enumerable string-keyed properties (what `{ ...options }` copies), read
 * once into an object with no prototype. Inherited properties (a polluted Object.prototype) and non-enumerable ones
 * are not options; a getter that throws is reported as INVALID_OPTION. Anything but a plain object gives `{}` here
 * (checkKeys rejects it).
 */
export function ownOptions(opts: unknown, fn = 'this function'): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return out;
  let key = '';
  try {
    for (key of Object.keys(opts)) out[key] = (opts as Record<string, unknown>)[key];
  } catch (e) {
    throw new XentError('INVALID_OPTION', `reading the options of ${fn}${key ? ` (${JSON.stringify(key)})` : ''} threw: ${e instanceof Error ? e.message : show(e)}`);
  }
  return out;
}

/** Rejects option names the function does not know (a typo must not silently change nothing); returns ownOptions. */
export function checkKeys(opts: unknown, allowed: readonly string[], fn: string): Record<string, unknown> {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
    throw new XentError('INVALID_OPTION', `options of ${fn} must be an object, got ${show(opts)}`);
  }
  const o = ownOptions(opts, fn);
  for (const k in o) {
    if (!allowed.includes(k)) {
      throw new XentError('INVALID_OPTION', `${fn} has no option ${JSON.stringify(k)}; known: ${allowed.join(', ')}`);
    }
  }
  return o;
}

/**
 * `A` when option `K` of options of type O is surely of type T, `B` when it surely is not (or is absent), `A | B` when
 * its type does not tell (a `reduction` held in a variable of type Reduction, an optional `classes`): so result types
 * stay sound for options that are not literals. Written with keyof rather than `O extends { K?: ... }`, which
 * TypeScript's weak-type rule makes false for options without K.
 */
export type IfOption<O, K extends string, T, A, B> = O extends unknown
  ? K extends keyof O ? Decide<MayBeAbsent<O, K>, Exclude<O[K], undefined>, T, A, B> : B
  : never;
/** true when option K of O is optional or may be undefined. */
type MayBeAbsent<O, K extends keyof O> = {} extends Pick<O, K> ? true : undefined extends O[K] ? true : false;
/** The choice for an option whose values (when present) are of type V. */
type Decide<Absent, V, T, A, B> = [V] extends [never] ? B
  : [V] extends [T] ? (Absent extends true ? A | B : A)
    : [T] extends [V] ? A | B : B;

/** `A` for reduction 'none', `B` for the others, `A | B` when the options' type does not tell. */
export type IfNone<O, A, B> = IfOption<O, 'reduction', 'none', A, B>;

/**
 * The result type of a batch function: a number, or a Float64Array per row for `reduction: 'none'` on a batch (an
 * array of rows, or a flat vector with `classes`).
 */
export type Result<X, O> = IfNone<
  O, X extends readonly Row[] ? Float64Array : IfOption<O, 'classes', number, Float64Array, number>, number
>;
