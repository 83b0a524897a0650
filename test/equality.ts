// toEqual on typed arrays, in linear time. Vitest's own comparison of two typed arrays (iterableEquality) walks
// both with iterators and then compares Object.entries() of each: millions of [index, value] pairs for a
// million-element array, which takes tens of seconds (minutes on a loaded host) per assertion. This tester
// decides the same question with the same answer: two arrays of one standard typed-array class are equal when they
// have the same length and every element is Object.is-equal (as vitest compares numbers and bigints: NaN equals
// NaN, 0 does not equal -0), provided neither carries own enumerable properties besides its elements (seen in
// util.inspect's one-line form, which lists them); any other case returns undefined and vitest compares as before.
import { inspect } from 'node:util';

const TYPED_ARRAY = Object.getPrototypeOf(Int8Array.prototype) as object;
const BARE = { maxArrayLength: 0, depth: 0, customInspect: false } as const;

type Typed = ArrayLike<number | bigint> & { constructor: { name: string } };

/** A non-empty direct instance of a standard typed-array class with no own enumerable properties but its elements. */
function bareTypedArray(x: unknown): x is Typed {
  if (typeof x !== 'object' || x === null || !ArrayBuffer.isView(x)) return false;
  const proto = Object.getPrototypeOf(x) as object | null;
  if (proto === null || Object.getPrototypeOf(proto) !== TYPED_ARRAY) return false;
  const t = x as unknown as Typed;
  const name = (proto as { constructor: { name: string } }).constructor.name;
  const n = t.length; // empty (or detached, which vitest's comparison throws on) is left to vitest
  return n > 0 && inspect(x, BARE) === `${name}(${n}) [ ... ${n} more item${n === 1 ? '' : 's'} ]`;
}

export function typedArrayEquality(a: unknown, b: unknown): boolean | undefined {
  if (!bareTypedArray(a) || !bareTypedArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return undefined;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
