/**
 * Defects: changes to a valid input that must make the call fail with a documented code. A case carries zero, one or
 * two defects; with several, the library reports whichever it checks first, so the oracle accepts the union of
 * their codes (the library's validation order is type → options → shape → NaN → probability range and sum →
 * labels, but one defect can hide another, e.g. a wrong type replaces the array that held a NaN).
 */
import fc from 'fast-check';
import { type Code, type Dtype, type Shape, WRONG_TYPES } from './gen.js';

/** The mutable description of a case before it is materialised into arguments. */
export interface Draft {
  s: Shape;
  /** The main input's values (logits, probabilities…), rows × cols. */
  x: number[][];
  /** A second matrix (q, dense target) or null. */
  y: number[][] | null;
  /** Integer labels or null. */
  labels: number[] | null;
  opts: Record<string, unknown>;
  /** Argument overrides, applied after materialisation. */
  over: { x?: unknown; y?: unknown; labels?: unknown; opts?: unknown };
  /** Structural edits on the materialised arguments (ragged rows). */
  ragged: 'x' | 'y' | null;
  codes: Code[];
  notes: string[];
}

export interface Defect {
  name: string;
  applies: (d: Draft) => boolean;
  /** `k` is a random integer to pick positions and variants. */
  apply: (d: Draft, k: number) => void;
}

const cell = (m: number[][], k: number): [number, number] => {
  const r = k % m.length;
  return [r, Math.floor(k / 7) % m[r].length];
};
const nonEmpty = (m: number[][] | null): m is number[][] => m !== null && m.length > 0 && m[0].length > 0;
const small = (d: Draft): boolean => d.s.rows * d.s.cols <= 10_000;

/** 1 + one ulp and −(smallest subnormal), as the dtype holds them: just outside [0, 1]. */
const justAbove = (d: Dtype): number => (d === 'Float32Array' ? 1 + 2 ** -23 : 1 + 2 ** -52);
const justBelow = (d: Dtype): number => (d === 'Float32Array' ? -(2 ** -149) : -5e-324);

function set(m: number[][], k: number, v: number): void {
  const [r, c] = cell(m, k);
  m[r][c] = v;
}

export const NAN_X: Defect = {
  name: 'NaN in x', applies: (d) => nonEmpty(d.x) && small(d),
  apply: (d, k) => { set(d.x, k, NaN); d.codes.push('NON_FINITE'); },
};
export const NAN_Y: Defect = {
  name: 'NaN in second input', applies: (d) => nonEmpty(d.y) && small(d),
  apply: (d, k) => { set(d.y!, k, NaN); d.codes.push('NON_FINITE'); },
};
export const TYPE_X: Defect = {
  name: 'wrong type x', applies: () => true,
  apply: (d, k) => {
    const t = WRONG_TYPES[k % WRONG_TYPES.length];
    d.over.x = t.make(d.s.rows * d.s.cols);
    d.codes.push('INVALID_TYPE');
    d.notes.push(`x: ${t.name}`);
  },
};
export const TYPE_Y: Defect = {
  name: 'wrong type second input', applies: (d) => d.y !== null,
  apply: (d, k) => {
    // 'object' and typed int arrays could be read as labels; keep the kinds that are wrong for a dense matrix
    const kinds = WRONG_TYPES.filter((t) => !t.name.includes('Int32') && !t.name.includes('Uint8'));
    const t = kinds[k % kinds.length];
    d.over.y = t.make(d.s.rows * d.s.cols);
    d.codes.push('INVALID_TYPE');
    d.notes.push(`y: ${t.name}`);
  },
};
export const RAGGED_X: Defect = {
  name: 'ragged rows', applies: (d) => d.s.form === 'rows' && d.s.rows >= 2 && small(d),
  apply: (d) => { d.ragged = 'x'; d.codes.push('SHAPE_MISMATCH'); },
};
export const EMPTY_X: Defect = {
  name: 'no classes', applies: (d) => d.s.form === 'vector',
  apply: (d) => {
    d.s = { ...d.s, cols: 0 };
    d.x = [[]];
    if (d.y) d.y = [[]];
    d.codes.push('EMPTY_INPUT');
  },
};
/** No classes where that is defined: logSumExp of nothing is the log of an empty sum, -Infinity (no error). */
export const EMPTY_SUM_X: Defect = {
  // after a NaN was put in, emptying the row would remove it: its NON_FINITE would no longer be expected
  name: 'no classes (empty sum)', applies: (d) => EMPTY_X.applies(d) && !d.codes.includes('NON_FINITE'),
  apply: (d) => {
    d.s = { ...d.s, cols: 0 };
    d.x = [[]];
  },
};
/** The second matrix has one more row than the first (given as rows, so it cannot be read as labels). */
export const ROWS_Y: Defect = {
  name: 'row count mismatch', applies: (d) => d.y !== null && small(d) && d.s.cols > 0,
  apply: (d) => {
    d.over.y = [...d.y!, d.y![0] ?? new Array(d.s.cols).fill(0)].map((r) => [...r]);
    d.codes.push('SHAPE_MISMATCH');
  },
};

export const ABOVE_ONE_X: Defect = {
  name: 'probability just above 1', applies: (d) => nonEmpty(d.x) && small(d),
  apply: (d, k) => { set(d.x, k, k % 5 === 0 ? Infinity : justAbove(d.s.dtype)); d.codes.push('INVALID_PROBABILITY'); },
};
export const BELOW_ZERO_X: Defect = {
  name: 'probability just below 0', applies: (d) => nonEmpty(d.x) && small(d),
  apply: (d, k) => { set(d.x, k, k % 5 === 0 ? -Infinity : justBelow(d.s.dtype)); d.codes.push('INVALID_PROBABILITY'); },
};
export const ABOVE_ONE_Y: Defect = {
  name: 'second input just above 1', applies: (d) => nonEmpty(d.y) && small(d),
  apply: (d, k) => { set(d.y!, k, justAbove(d.s.dtype)); d.codes.push('INVALID_PROBABILITY'); },
};
export const BELOW_ZERO_Y: Defect = {
  name: 'second input below 0', applies: (d) => nonEmpty(d.y) && small(d),
  apply: (d, k) => { set(d.y!, k, k % 3 === 0 ? -0.5 : justBelow(d.s.dtype)); d.codes.push('INVALID_PROBABILITY'); },
};
/** A row scaled by 0.9 (or 1.1): its sum is off by 0.1, far beyond any tolerance the fuzzer sets. */
export const BAD_SUM_X: Defect = {
  name: 'row does not sum to 1', applies: (d) => nonEmpty(d.x) && small(d),
  apply: (d, k) => {
    const r = k % d.x.length;
    d.x[r] = d.x[r].map((v) => v * (k % 2 ? 0.9 : 1.1));
    d.codes.push('INVALID_PROBABILITY');
  },
};
export const BAD_SUM_Y: Defect = {
  name: 'second row does not sum to 1', applies: (d) => nonEmpty(d.y) && small(d),
  apply: (d, k) => {
    const r = k % d.y!.length;
    d.y![r] = d.y![r].map((v) => v * 0.9);
    d.codes.push('INVALID_PROBABILITY');
  },
};
/** A +Infinity logit: the softmax is undefined (NON_FINITE) for softmax, logSoftmax and the losses. */
export const PLUS_INF_X: Defect = {
  name: '+Infinity logit', applies: (d) => nonEmpty(d.x) && small(d),
  apply: (d, k) => { set(d.x, k, Infinity); d.codes.push('NON_FINITE'); },
};
export const ALL_MASKED_X: Defect = {
  name: 'row of only -Infinity', applies: (d) => nonEmpty(d.x) && small(d),
  apply: (d, k) => {
    const r = k % d.x.length;
    d.x[r] = d.x[r].map(() => -Infinity);
    d.codes.push('NON_FINITE');
  },
};

// Labels ---------------------------------------------------------------------------------------------------------
const BAD_LABELS: readonly ((c: number) => number)[] = [() => 0.5, () => -1, (c) => c, (c) => c + 3, () => NaN, () => Infinity, () => -7, (c) => c - 0.25];
export const BAD_LABEL: Defect = {
  name: 'label not an integer in [0, C)', applies: (d) => d.labels !== null && d.labels.length > 0,
  apply: (d, k) => {
    const bad = BAD_LABELS[k % BAD_LABELS.length](d.s.cols);
    d.labels![Math.floor(k / 8) % d.labels!.length] = bad;
    d.codes.push('LABEL_OUT_OF_RANGE');
    d.notes.push(`label ${bad}`);
  },
};
export const LABEL_TYPE: Defect = {
  name: 'label of the wrong type', applies: (d) => d.labels !== null && d.labels.length > 0 && d.s.form !== 'vector',
  apply: (d, k) => {
    const a: unknown[] = [...d.labels!];
    a[k % a.length] = k % 2 ? '1' : null;
    d.over.labels = a;
    d.codes.push('INVALID_TYPE');
  },
};
export const LABEL_LENGTH: Defect = {
  name: 'labels of the wrong length', applies: (d) => d.labels !== null && d.s.form !== 'vector',
  apply: (d, k) => {
    d.over.labels = Int32Array.from({ length: d.labels!.length + 1 + (k % 2) }, () => 0);
    d.codes.push('SHAPE_MISMATCH');
  },
};

// Options --------------------------------------------------------------------------------------------------------
/** Bad option values that every function rejects as INVALID_OPTION (an unknown key is one too). */
const BAD_OPTIONS: readonly (() => [string, unknown])[] = [
  () => ['base', 0], () => ['base', -2], () => ['base', 1], () => ['base', Infinity], () => ['base', NaN], () => ['base', '2'],
  () => ['reduction', 'avg'], () => ['reduction', null], () => ['reductio', 'sum'], () => ['classes', 0],
  () => ['classes', 1.5], () => ['classes', -3], () => ['classes', '3'], () => ['Base', 2],
];
export const BAD_OPTION: Defect = {
  name: 'bad option value', applies: () => true,
  apply: (d, k) => {
    const [key, v] = BAD_OPTIONS[k % BAD_OPTIONS.length]();
    d.opts[key] = v;
    d.codes.push('INVALID_OPTION');
    d.notes.push(`option ${key}: ${String(v)}`);
  },
};
export const OPTIONS_NOT_OBJECT: Defect = {
  name: 'options not an object', applies: () => true,
  apply: (d, k) => {
    // (an array would be read as q by entropy(p, q): the scipy-style overload)
    d.over.opts = ['mean', null, true, 3][k % 4];
    d.codes.push('INVALID_OPTION');
  },
};
/** A function-specific bad option: `values` are all INVALID_OPTION for `key`. */
export function badValue(key: string, values: readonly unknown[]): Defect {
  return {
    name: `bad ${key}`, applies: () => true,
    apply: (d, k) => {
      d.opts[key] = values[k % values.length];
      d.codes.push('INVALID_OPTION');
      d.notes.push(`${key}: ${String(values[k % values.length])}`);
    },
  };
}
/** A weight vector option: wrong length (SHAPE_MISMATCH), NaN (NON_FINITE), negative or Infinity (INVALID_OPTION), wrong type. */
export function badWeight(key: string, length: (d: Draft) => number): Defect {
  return {
    name: `bad ${key}`, applies: (d) => d.s.rows * d.s.cols <= 10_000,
    apply: (d, k) => {
      const n = length(d);
      const w = Array.from({ length: n }, () => 1);
      const kind = k % 5;
      if (kind === 0 || n === 0) {
        d.opts[key] = Array.from({ length: n + d.s.rows * d.s.cols + 1 }, () => 1);
        d.codes.push('SHAPE_MISMATCH');
      } else if (kind === 1) {
        w[k % n] = NaN;
        d.opts[key] = w;
        d.codes.push('NON_FINITE');
      } else if (kind === 2 || kind === 3) {
        w[k % n] = kind === 2 ? -1 : Infinity;
        d.opts[key] = w;
        d.codes.push('INVALID_OPTION');
      } else {
        d.opts[key] = 'heavy';
        d.codes.push('INVALID_TYPE');
      }
      d.notes.push(`${key}: ${kind}`);
    },
  };
}

/** Elements of the gradient the gradient functions write: rows × classes (one row for a vector). */
const gradLength = (d: Draft): number => d.s.rows * d.s.cols;
/** The gradient functions' `out` of a type other than the logits' dtype (Float64Array for number[] input). */
export const OUT_TYPE: Defect = {
  name: 'out of the wrong type', applies: () => true,
  apply: (d, k) => {
    const n = gradLength(d);
    const kinds: readonly (() => unknown)[] = [
      () => (d.s.dtype === 'Float32Array' ? new Float64Array(n) : new Float32Array(n)), () => new Array(n).fill(0),
      () => new Int32Array(n), () => null, () => 'grad', () => ({ length: n }),
    ];
    d.opts.out = kinds[k % kinds.length]();
    d.codes.push('INVALID_TYPE');
    d.notes.push(`out kind ${k % kinds.length}`);
  },
};
/** The gradient functions' `out` of the right type, one element too long or too short. */
export const OUT_LENGTH: Defect = {
  name: 'out of the wrong length', applies: () => true,
  apply: (d, k) => {
    const n = gradLength(d);
    const Ctor = d.s.dtype === 'Float32Array' ? Float32Array : Float64Array;
    d.opts.out = new Ctor(k % 2 || n === 0 ? n + 1 : n - 1);
    d.codes.push('SHAPE_MISMATCH');
  },
};

/** Picks up to two applicable defects (none in about half the cases). */
export function defectsArb(all: readonly Defect[]): fc.Arbitrary<{ idx: number; k: number }[]> {
  const one = fc.record({ idx: fc.nat(all.length - 1), k: fc.nat(1 << 20) });
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant<{ idx: number; k: number }[]>([]) },
    { weight: 4, arbitrary: fc.array(one, { minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.array(one, { minLength: 2, maxLength: 2 }) },
  );
}

export function applyDefects(d: Draft, all: readonly Defect[], picks: readonly { idx: number; k: number }[]): void {
  for (const { idx, k } of picks) {
    const def = all[idx];
    if (!def.applies(d)) continue;
    def.apply(d, k);
    d.notes.push(def.name);
  }
}
