/**
 * The JSON side of the evaluators' states: numbers that may be infinite, and the checks a state read back must
 * pass: its format and version (INVALID_TYPE), then what its numbers mean (INVALID_STATE): counts are
 * non-negative integers, sums of non-negative terms are not negative, parts add up to their wholes.
 */
import { XentError, show } from '../core/errors.js';
import { ownOptions } from '../core/options.js';

/**
 * A number for JSON: non-finite ones as the strings "Infinity" and "-Infinity" (NaN never occurs in a state), and
 * -0 as "-0" (JSON would drop its sign), so that merged states are bit-identical to one run's.
 */
export const enc = (v: number): number | string => (Object.is(v, -0) ? '-0' : Number.isFinite(v) ? v : String(v));

/** The inverse of enc; anything else is an INVALID_TYPE error naming `state.<name>`. */
export function dec(v: unknown, name: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === '-0') return -0;
  throw new XentError('INVALID_TYPE', `state.${name} must be a number, got ${show(v)}`);
}

/** A count: a non-negative integer. */
export function decCount(v: unknown, name: string): number {
  const n = dec(v, name);
  if (!Number.isInteger(n) || n < 0) {
    throw new XentError('INVALID_STATE', `state.${name} must be a count (an integer >= 0), got ${show(n)}`);
  }
  return n;
}

/** A sum of non-negative terms (+Infinity allowed: a token of probability 0). */
export function decSum(v: unknown, name: string): number {
  const n = dec(v, name);
  if (!(n >= 0)) throw new XentError('INVALID_STATE', `state.${name} is a sum of non-negative terms, got ${show(n)}`);
  return n;
}

/** Throws INVALID_STATE with `what` when `ok` is false: a state whose numbers contradict each other. */
export function expectState(ok: boolean, what: string): void {
  if (!ok) throw new XentError('INVALID_STATE', `not a meaningful state: ${what}`);
}

/** Throws INVALID_OPTION unless two states' settings agree: only states of the same evaluation merge. */
export function expectSameSettings<S extends object>(a: S, b: S): void {
  // By value: a nested settings object (the bootstrap's) is compared by its JSON.
  const same = (x: unknown, y: unknown) => x === y || (typeof x === 'object' && JSON.stringify(x) === JSON.stringify(y));
  for (const key of Object.keys(a) as (keyof S)[]) {
    if (!same(a[key], b[key])) {
      throw new XentError(
        'INVALID_OPTION', `cannot merge evaluators with different ${String(key)}: ${show(a[key])} and ${show(b[key])}`,
      );
    }
  }
}

/**
 * The object behind a state's JSON (an object or its text), checked for `format` and one of `versions`: a copy of
 * its own enumerable fields, so that a polluted Object.prototype cannot fill in a missing one.
 */
export function stateObject(
  json: unknown, format: string, versions: readonly number[], what: string,
): Record<string, unknown> {
  let j: unknown;
  try {
    j = typeof json === 'string' ? JSON.parse(json) : json;
  } catch (e) {
    throw new XentError('INVALID_TYPE', `${what} state is not valid JSON: ${(e as Error).message}`);
  }
  const o = ownOptions(j, `${what} fromJSON`);
  if (j === null || typeof j !== 'object' || o.format !== format || !versions.includes(o.version as number)) {
    throw new XentError(
      'INVALID_TYPE',
      `not an xent ${what} state (expected format "${format}", version ${versions.join(' or ')})`,
    );
  }
  return o;
}
