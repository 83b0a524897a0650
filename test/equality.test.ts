// The suite's typed-array equality tester (test/equality.ts, installed by test/setup.ts) gives vitest's own answer
// for toEqual and toStrictEqual on every kind of pair: it only makes the comparison linear in time.
import { arrayBufferEquality, equals, iterableEquality, sparseArrayEquality, typeEquality } from '@vitest/expect';
import { describe, expect, it } from 'vitest';
import { typedArrayEquality } from './equality.js';

/** vitest's toEqual and toStrictEqual without the tester (their matchers' own tester lists), and with it first. */
const STRICT = [iterableEquality, typeEquality, sparseArrayEquality, arrayBufferEquality];
const vitestEqual = (a: unknown, b: unknown) => outcome(() => equals(a, b, [iterableEquality]));
const withTester = (a: unknown, b: unknown) => outcome(() => equals(a, b, [typedArrayEquality, iterableEquality]));
const vitestStrict = (a: unknown, b: unknown) => outcome(() => equals(a, b, STRICT, true));
const strictWithTester = (a: unknown, b: unknown) => outcome(() => equals(a, b, [typedArrayEquality, ...STRICT], true));

/** The answer, or the error thrown (vitest throws on a detached array). */
function outcome(f: () => boolean): boolean | string {
  try {
    return f();
  } catch (e) {
    return `throws ${String(e)}`;
  }
}

function pairs(): [string, unknown, unknown][] {
  const f32 = Float32Array.from([1, -2.5, 3e38, NaN, -Infinity]);
  const withProp = (x: Float32Array, k: string, v: unknown) => Object.assign(Float32Array.from(x), { [k]: v });
  const sub = class extends Float32Array {};
  const detached = new Float32Array(4);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  return [
    ['the same values', f32, Float32Array.from(f32)],
    ['one value different', f32, Float32Array.from([1, -2.5, 3e38, NaN, Infinity])],
    ['NaN against a number', Float64Array.from([NaN]), Float64Array.from([0])],
    ['NaN with another payload', new Float64Array(new BigUint64Array([0x7ff8000000000001n]).buffer), Float64Array.from([NaN])],
    ['0 against -0', Float64Array.from([0]), Float64Array.from([-0])],
    ['-0 against -0', Float32Array.from([-0]), Float32Array.from([-0])],
    ['a shorter array', f32, f32.subarray(0, 4)],
    ['both empty', new Float32Array(0), new Float32Array(0)],
    ['empty against one element', new Float32Array(0), new Float32Array(1)],
    ['one element each', Int32Array.from([7]), Int32Array.from([7])],
    ['two classes, same values', Float32Array.from([1, 2]), Float64Array.from([1, 2])],
    ['signed against unsigned bytes', Int8Array.from([1]), Uint8Array.from([1])],
    ['bigints', BigInt64Array.from([1n, -2n]), BigInt64Array.from([1n, -2n])],
    ['bigints, one different', BigInt64Array.from([1n, -2n]), BigInt64Array.from([1n, 2n])],
    ['a view against a copy', new Float64Array([5, 1, 2, 9]).subarray(1, 3), Float64Array.from([1, 2])],
    ['a subclass against its base', sub.from([1, 2]), Float32Array.from([1, 2])],
    ['a subclass against itself', sub.from([1, 2]), sub.from([1, 2])],
    ['a Buffer against a Uint8Array', Buffer.from([1, 2]), Uint8Array.from([1, 2])],
    ['a detached array against an empty one', detached, new Float32Array(0)],
    ['a typed array against a plain array', Float32Array.from([1, 2]), [1, 2]],
    ['an own property on one side', withProp(f32, 'scale', 2), Float32Array.from(f32)],
    ['the same own property on both', withProp(f32, 'scale', 2), withProp(f32, 'scale', 2)],
    ['own properties that differ', withProp(f32, 'scale', 2), withProp(f32, 'scale', 3)],
    ['own properties named apart', withProp(f32, 'a', 1), withProp(f32, 'b', 1)],
    ['nested in objects', { g: f32, h: [Int32Array.from([1])] }, { g: Float32Array.from(f32), h: [Int32Array.from([1])] }],
    ['nested, one different', { g: f32 }, { g: Float32Array.from([1, -2.5, 3e38, NaN, 0]) }],
  ];
}

describe('typed-array equality tester', () => {
  it.each(pairs())('%s: the same answer as vitest without it, both ways', (_, a, b) => {
    expect(withTester(a, b)).toBe(vitestEqual(a, b));
    expect(withTester(b, a)).toBe(vitestEqual(b, a));
    expect(strictWithTester(a, b)).toBe(vitestStrict(a, b));
    expect(strictWithTester(b, a)).toBe(vitestStrict(b, a));
    const answer = vitestEqual(a, b);
    if (answer === true) expect(a).toEqual(b);
    else if (answer === false) expect(a).not.toEqual(b);
    else expect(() => expect(a).toEqual(b)).toThrow(TypeError);
  });

  it('decides pairs of plain typed arrays itself, and leaves every other pair to vitest', () => {
    expect(typedArrayEquality(Float32Array.from([1]), Float32Array.from([1]))).toBe(true);
    expect(typedArrayEquality(Float32Array.from([1]), Float32Array.from([2]))).toBe(false);
    expect(typedArrayEquality(Float32Array.from([1]), Float64Array.from([1]))).toBeUndefined();
    expect(typedArrayEquality(Object.assign(Float32Array.from([1]), { k: 1 }), Float32Array.from([1]))).toBeUndefined();
    expect(typedArrayEquality(Buffer.from([1]), Buffer.from([1]))).toBeUndefined();
    expect(typedArrayEquality([1], [1])).toBeUndefined();
    expect(typedArrayEquality(new Float32Array(0), new Float32Array(0))).toBeUndefined();
  });

  it('a 2^22-element array: equal to its copy, unequal with one element changed or 0 for -0', () => {
    const n = 1 << 22;
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    a[n >> 1] = -0;
    const b = Float32Array.from(a);
    expect(typedArrayEquality(a, b)).toBe(true);
    expect(a).toEqual(b);
    b[n - 1] = Math.fround(b[n - 1] + 1);
    expect(typedArrayEquality(a, b)).toBe(false);
    b[n - 1] = a[n - 1];
    b[n >> 1] = 0;
    expect(typedArrayEquality(a, b)).toBe(false);
    expect(a).not.toEqual(b);
  });
});
