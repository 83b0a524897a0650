/**
 * Shared test machinery: the backend × dtype loop, input conversions, and `expectClose`.
 *
 * Tolerances (from the accuracy contract):
 * - float64 input: relative 1e-13 against the float64 reference (test/reference.ts or the SciPy fixtures);
 * - float32 input: relative 1e-6, the reference being computed in float64 from the float32 values themselves.
 * An absolute floor is used only where stated at the call site (values that are exactly 0, or where the
 * mathematics cancels: then the floor is the condition number times the bound, and the call site says so).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, init } from '../src/index.js';

/** The SIMD module, the relaxed-SIMD and scalar builds of the same source, and the TypeScript kernels. */
export const BACKENDS = ['wasm', 'wasm-relaxed', 'wasm-scalar', 'js'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export const EXPECTED_BACKEND: Record<BackendChoice, string> = {
  wasm: 'wasm-simd', 'wasm-relaxed': 'wasm-relaxed-simd', 'wasm-scalar': 'wasm', js: 'js',
};
const INIT: Record<BackendChoice, Parameters<typeof init>[0]> = {
  wasm: { backend: 'wasm', relaxedSimd: false },
  'wasm-relaxed': { backend: 'wasm', relaxedSimd: true },
  'wasm-scalar': { backend: 'wasm', simd: false },
  js: { backend: 'js' },
};

/**
 * (func (export "f") (param f32 f32 f32) (result f32) lane 0 of f32x4.relaxed_madd of the three splatted): this
 * runtime's relaxed multiply-add, seen without xent's loader.
 */
const MADD = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 125, 125, 125, 1, 125, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 22, 1, 20,
  0, 32, 0, 253, 19, 32, 1, 253, 19, 32, 2, 253, 19, 253, 133, 2, 253, 31, 0, 11,
]);

/** Why the relaxed-SIMD build cannot run here (its tests are then skipped, saying so), or null. */
export const RELAXED_MISSING = WebAssembly.validate(MADD) ? null
  : `this runtime has no WebAssembly relaxed SIMD (Node ${process.versions.node}; on Node 20 test/setup.ts turns it on)`;

/**
 * The build init() picks here: relaxed SIMD where the runtime runs it and fuses its multiply-adds ((1 + 2^-23)² -
 * (1 + 2^-22) is 2^-46 when fused, 0 when the product is rounded first), else SIMD.
 */
export const AUTO_WASM = RELAXED_MISSING === null &&
  (new WebAssembly.Instance(new WebAssembly.Module(MADD)).exports.f as (a: number, b: number, c: number) => number)(
    1 + 2 ** -23, 1 + 2 ** -23, -(1 + 2 ** -22)) === 2 ** -46 ? 'wasm-relaxed-simd' : 'wasm-simd';

/** The build a child process (`node` without flags: no relaxed SIMD on Node 20, see test/setup.ts) picks. */
export const CHILD_WASM = process.versions.node.split('.')[0] === '20' ? 'wasm-simd' : AUTO_WASM;

export type Dtype = 'number[]' | 'Float64Array' | 'Float32Array';
export const DTYPES: readonly Dtype[] = ['number[]', 'Float64Array', 'Float32Array'];

/** The relative bound for a dtype. */
export const REL: Record<Dtype, number> = { 'number[]': 1e-13, Float64Array: 1e-13, Float32Array: 1e-6 };

/** Runs `body` once per backend, with init() in beforeAll and a check that the backend asked for is the one running. */
export function describeBackends(title: string, body: (b: BackendChoice) => void): void {
  describe.each(BACKENDS)(`${title} [%s]`, (b) => {
    if (b === 'wasm-relaxed' && RELAXED_MISSING !== null) {
      it.skip(`skipped: ${RELAXED_MISSING}`, () => {});
      return;
    }
    beforeAll(async () => {
      await init(INIT[b]);
      expect(backend()).toBe(EXPECTED_BACKEND[b]);
    });
    body(b);
  });
}

/** Runs `body` once per backend and dtype. */
export function describeBackendsDtypes(
  title: string, body: (b: BackendChoice, d: Dtype) => void, dtypes: readonly Dtype[] = DTYPES,
): void {
  describeBackends(title, (b) => {
    describe.each(dtypes)('%s', (d) => body(b, d));
  });
}

export type Vec = number[] | Float32Array | Float64Array;

/** One vector in the given dtype (a fresh copy). */
export function vec(x: readonly number[], d: Dtype): Vec {
  if (d === 'Float32Array') return Float32Array.from(x);
  if (d === 'Float64Array') return Float64Array.from(x);
  return [...x];
}

/** A batch as an array of rows of the given dtype. */
export function rows(x: readonly (readonly number[])[], d: Dtype): Vec[] {
  return x.map((r) => vec(r, d));
}

/** A batch as one flat row-major vector (use with { classes }). */
export function flat(x: readonly (readonly number[])[], d: Dtype): Vec {
  return vec(x.flat(), d);
}

/** The float64 values a vector of dtype d actually holds. */
export function held(x: readonly number[], d: Dtype): number[] {
  return d === 'Float32Array' ? x.map(Math.fround) : [...x];
}

export function heldRows(x: readonly (readonly number[])[], d: Dtype): number[][] {
  return x.map((r) => held(r, d));
}

/** Parses the fixture encoding: "Infinity", "-Infinity" and "NaN" strings back to numbers, recursively. */
export function decode<T = unknown>(v: unknown): T {
  if (v === 'Infinity') return Infinity as T;
  if (v === '-Infinity') return -Infinity as T;
  if (v === 'NaN') return NaN as T;
  if (Array.isArray(v)) return v.map((x) => decode(x)) as T;
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = decode(x);
    return o as T;
  }
  return v as T;
}

type Numeric = number | ArrayLike<number>;

function toArray(v: Numeric): number[] | null {
  if (typeof v === 'number') return null;
  return Array.from(v as ArrayLike<number>);
}

/**
 * |actual − expected| ≤ rel · |expected| + abs, elementwise for arrays (lengths must agree). Infinities must match
 * exactly, NaN matches only NaN; a mismatch reports the index and both values.
 */
export function expectClose(actual: unknown, expected: Numeric, rel: number, abs = 0, label = ''): void {
  const e = toArray(expected);
  if (e === null) {
    expect(typeof actual, `${label}: expected a number, got ${String(actual)}`).toBe('number');
    checkOne(actual as number, expected as number, rel, abs, label);
    return;
  }
  expect(actual === null || typeof actual !== 'object', `${label}: expected an array`).toBe(false);
  const a = Array.from(actual as ArrayLike<number>);
  expect(a.length, `${label}: length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) checkOne(a[i], e[i], rel, abs, `${label}[${i}]`);
}

function checkOne(a: number, e: number, rel: number, abs: number, label: string): void {
  if (Number.isNaN(e)) {
    expect(Number.isNaN(a), `${label}: expected NaN, got ${a}`).toBe(true);
    return;
  }
  if (!Number.isFinite(e)) {
    expect(a, `${label}: expected ${e}`).toBe(e);
    return;
  }
  const err = Math.abs(a - e);
  const bound = rel * Math.abs(e) + abs;
  if (!(err <= bound)) {
    expect.fail(`${label}: got ${a}, expected ${e}: error ${err.toExponential(3)} > bound ${bound.toExponential(3)} `
      + `(relative ${(err / Math.abs(e)).toExponential(3)})`);
  }
}

/** Asserts that `fn` throws a XentError with `code`, and that the message matches every pattern given. */
export function expectXent(fn: () => unknown, code: string, ...patterns: (string | RegExp)[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected a XentError ${code}, nothing was thrown`).toBeDefined();
  const err = thrown as { code?: string; message?: string; name?: string };
  expect(thrown).toBeInstanceOf(Error);
  expect(err.code, `code (message: ${err.message})`).toBe(code);
  for (const p of patterns) {
    if (typeof p === 'string') expect(err.message, `message should name ${p}`).toContain(p);
    else expect(err.message).toMatch(p);
  }
}

/** Deterministic PRNG (mulberry32) for the large generated cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deep copy of an input (arrays of rows, typed arrays, numbers) to check later that it was not mutated. */
export function snapshot<T>(x: T): T {
  if (Array.isArray(x)) return x.map((v) => snapshot(v)) as T;
  if (x instanceof Float32Array) return Float32Array.from(x) as T;
  if (x instanceof Float64Array) return Float64Array.from(x) as T;
  if (x instanceof Int32Array) return Int32Array.from(x) as T;
  if (x !== null && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) o[k] = snapshot(v);
    return o as T;
  }
  return x;
}
