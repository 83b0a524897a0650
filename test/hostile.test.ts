// Hostile arguments: every exported function and method, given values of every JavaScript type in every argument
// position and every option, throws only XentError (with a documented code) or returns; inherited and
// non-enumerable option keys never change a result (a polluted Object.prototype); init() refuses unknown keys;
// Evaluator.fromJSON checks what a state means, not only its types. The language-model entries (scoreTokens,
// fromLogprobs, LanguageModelEvaluator) are driven the same way.
import { afterEach, describe, expect, it } from 'vitest';
import * as xent from '../src/index.js';
import { Comparison, Evaluator, LanguageModelEvaluator, XentError, init } from '../src/index.js';
import { BACKENDS, describeBackends, expectXent } from './helpers.js';

const CODES = ['SHAPE_MISMATCH', 'LABEL_OUT_OF_RANGE', 'INVALID_PROBABILITY', 'NON_FINITE', 'EMPTY_INPUT',
  'INVALID_OPTION', 'INVALID_TYPE', 'OUT_OF_MEMORY', 'INVALID_STATE', 'INTERNAL'];

/** Valid arguments of every exported function (options last, where it takes them). */
const BASE: Record<string, () => unknown[]> = {
  information: () => [[0.5, 0.25]],
  binaryEntropy: () => [[0.25, 0.5]],
  entropy: () => [[0.5, 0.5], [0.25, 0.75]],
  crossEntropy: () => [[0.5, 0.5], [0.25, 0.75]],
  klDivergence: () => [[0.5, 0.5], [0.25, 0.75]],
  relEntr: () => [[0.5, 0.5], [0.25, 0.75]],
  jsDivergence: () => [[0.5, 0.5], [0.25, 0.75]],
  jsDistance: () => [[0.5, 0.5], [0.25, 0.75]],
  logSumExp: () => [[1, 2, 3]],
  softmax: () => [[1, 2, 3]],
  logSoftmax: () => [[1, 2, 3]],
  softmaxCrossEntropy: () => [[[1, 2, 3], [0, 1, 2]], [0, 2]],
  perplexity: () => [[[1, 2, 3], [0, 1, 2]], [0, 2]],
  categoricalCrossEntropy: () => [[[0.2, 0.8], [0.5, 0.5]], [1, 0]],
  nllLoss: () => [[[-1, -0.5], [-0.3, -2]], [1, 0]],
  binaryCrossEntropy: () => [[0.2, 0.9], [0, 1]],
  sigmoidCrossEntropy: () => [[-1, 2], [0, 1]],
  binaryFocalCrossEntropy: () => [[0.2, 0.9], [0, 1]],
  categoricalFocalCrossEntropy: () => [[[0.2, 0.8], [0.5, 0.5]], [1, 0]],
  brierScore: () => [[0.2, 0.9], [0, 1]],
  calibrationError: () => [[0.2, 0.9], [0, 1]],
  softmaxCrossEntropyWithGrad: () => [[[1, 2, 3]], [0]],
  sigmoidCrossEntropyWithGrad: () => [[-1, 2], [0, 1]],
  klDivergenceWithGrad: () => [[[0.5, 0.5]], [[1, 2]]],
  softmaxBackward: () => [[[0.5, 0.5]], [[1, 2]]],
  logSoftmaxBackward: () => [[[-0.7, -0.7]], [[1, 2]]],
  scoreTokens: () => [[[1, 2, 3], [0, 1, 2], [3, 1, 0]], [0, 2, 1]],
  fromLogprobs: () => [{ choices: [{ index: 0, logprobs: { content: [
    { token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105] }] },
    { token: '!', logprob: -2.2, bytes: [33], top_logprobs: [] }] } }] }],
  allocate: () => ['float32', 4],
  backend: () => [],
  fallbackReason: () => [],
};
/** Exports that are not plain synchronous functions: tested on their own below. */
const APART = new Set(['XentError', 'Evaluator', 'LanguageModelEvaluator', 'Comparison', 'init']);

const sparse = (n: number): number[] => {
  const a: number[] = [];
  a.length = n;
  a[n - 1] = 1;
  return a;
};

/**
 * Values of every type, fresh for each use (some are consumed: a detached buffer). `huge` adds a sparse array of
 * length 2^32 - 1 (its failed copy takes ~40 ms, so only argument positions on one backend draw it).
 */
function hostile(huge = false): [string, unknown][] {
  const stale = new Float64Array(4);
  structuredClone(stale.buffer, { transfer: [stale.buffer] });
  const throwing = new Proxy([1, 2], { get: () => { throw new TypeError('a hostile getter'); } });
  const getter = Object.defineProperty({}, 'length', { get: () => { throw new RangeError('a hostile length'); }, enumerable: true });
  return [
    ['undefined', undefined], ['null', null], ['true', true], ['0', 0], ['-0', -0], ['NaN', NaN], ['Infinity', Infinity],
    ['-Infinity', -Infinity], ['-1', -1], ['0.5', 0.5], ['2^31', 2 ** 31], ['2^32', 2 ** 32], ['2^53', 2 ** 53],
    ['1e308', 1e308], ['5e-324', 5e-324], ["''", ''], ["'sum'", 'sum'], ["'x'", 'x'], ['symbol', Symbol('s')],
    ['bigint', 10n], ['function', () => 1], ['{}', {}], ['null-prototype object', Object.create(null)],
    ['[]', []], ['[[]]', [[]]], ['[null]', [null]], ['[undefined]', [undefined]], ['[NaN]', [NaN]], ["['1']", ['1']],
    ['[1n]', [1n]], ['[[1, 2], [1]]', [[1, 2], [1]]], ['[[1], 2]', [[1], 2]], ['{ length: 3 }', { length: 3 }],
    ['sparse [, 1]', sparse(2)], ['[1e308, 1e308]', [1e308, 1e308]],
    ['Int8Array', new Int8Array(2)], ['Uint32Array', new Uint32Array([4294967295, 1])], ['BigInt64Array', new BigInt64Array(2)],
    ['Float32Array(0)', new Float32Array(0)], ['detached Float64Array', stale], ['DataView', new DataView(new ArrayBuffer(8))],
    ['ArrayBuffer', new ArrayBuffer(8)], ['Proxy of a Float32Array', new Proxy(new Float32Array(2), {})],
    ['Proxy of an array that throws', throwing], ['an object whose length getter throws', getter], ['Date', new Date(0)],
    ['Promise', Promise.resolve(1)], ['Map', new Map()],
    ...(huge ? [['sparse of length 2^32 - 1', sparse(2 ** 32 - 1)] as [string, unknown]] : []),
  ];
}

/** Calls f; a throw must be a XentError with a documented code. Returns the code, or 'value'. */
function outcome(what: string, f: () => unknown): string {
  try {
    f();
    return 'value';
  } catch (e) {
    if (!(e instanceof XentError) || !CODES.includes(e.code)) {
      expect.fail(`${what} threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
    return e.code;
  }
}

/** The option names a function knows, read from its unknown-option error. */
function optionNames(fn: (...a: unknown[]) => unknown, args: unknown[]): string[] {
  try {
    fn(...args, { 'no such option': 1 });
  } catch (e) {
    const m = /known: (.*)$/.exec((e as Error).message);
    if (m) return m[1].split(', ');
  }
  return [];
}

const exported = Object.entries(xent).filter(([k, v]) => typeof v === 'function' && !APART.has(k)) as [string, (...a: unknown[]) => unknown][];

describe('the table of exports', () => {
  it('names every exported function (a new export must join the hostile tests)', () => {
    expect(exported.map(([k]) => k).filter((k) => !(k in BASE))).toEqual([]);
  });
});

describeBackends('hostile arguments', (b) => {
  it.each(exported.map(([k]) => k))('%s: every argument position, every value: a XentError or a value', (name) => {
    const fn = (xent as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    const base = BASE[name]();
    let calls = 0;
    for (let i = 0; i <= base.length; i++) {
      for (const [label, v] of hostile(b === 'wasm' && i < base.length)) {
        const args = BASE[name]();
        args[i] = v;
        outcome(`${name} with argument ${i} = ${label}`, () => fn(...args));
        calls++;
      }
    }
    for (const key of optionNames(fn, base)) {
      for (const [label, v] of hostile()) {
        outcome(`${name} with option ${key} = ${label}`, () => fn(...BASE[name](), { [key]: v }));
        calls++;
      }
    }
    expect(calls).toBeGreaterThan(40);
  });

  it('Evaluator: constructor, every option, update, merge, fromJSON and allocate views', () => {
    for (const [label, v] of hostile()) {
      outcome(`new Evaluator(${label})`, () => new Evaluator(v as never));
      for (const key of ['classes', 'from', 'multiLabel', 'base', 'ignoreIndex', 'compat', 'topK']) {
        outcome(`new Evaluator({ ${key}: ${label} })`, () => new Evaluator({ classes: 3, [key]: v } as never));
      }
      const ev = new Evaluator({ classes: 2 });
      outcome(`update(${label}, labels)`, () => ev.update(v as never, [0]));
      outcome(`update(logits, ${label})`, () => ev.update([[1, 2]], v as never));
      outcome(`update(logits, labels, ${label})`, () => ev.update([[1, 2]], [0], v as never));
      outcome(`update sampleWeight ${label}`, () => ev.update([[1, 2]], [0], { sampleWeight: v as never }));
      outcome(`merge(${label})`, () => ev.merge(v as never));
      outcome(`fromJSON(${label})`, () => Evaluator.fromJSON(v));
      const json = new Evaluator({ classes: 2 }).update([[1, 2], [2, 1]], [0, 0]).toJSON() as Record<string, unknown>;
      for (const field of Object.keys(json)) {
        outcome(`fromJSON with ${field} = ${label}`, () => Evaluator.fromJSON({ ...json, [field]: v }));
      }
      outcome(`allocate('float64', ${label})`, () => xent.allocate('float64', v as never));
      outcome(`allocate(${label}, 4)`, () => xent.allocate(v as never, 4));
    }
  });

  it('LanguageModelEvaluator: constructor, every option, update and its options, merge, fromJSON', () => {
    const logits = () => [[1, 2, 3], [0, 1, 2], [3, 1, 0]];
    for (const [label, v] of hostile()) {
      outcome(`new LanguageModelEvaluator(${label})`, () => new LanguageModelEvaluator(v as never));
      for (const key of ['classes', 'ignoreIndex', 'topK', 'base']) {
        outcome(`new LanguageModelEvaluator({ ${key}: ${label} })`, () => new LanguageModelEvaluator({ classes: 3, [key]: v } as never));
      }
      const ev = new LanguageModelEvaluator({ classes: 3 });
      outcome(`update(${label}, targets)`, () => ev.update(v as never, [0, 2, 1]));
      outcome(`update(logits, ${label})`, () => ev.update(logits(), v as never));
      outcome(`update(logits, targets, ${label})`, () => ev.update(logits(), [0, 2, 1], v as never));
      for (const key of ['shift', 'sequenceLength', 'sequenceIds', 'dtype', 'bytes']) {
        outcome(`update option ${key} = ${label}`, () => ev.update(logits(), [0, 2, 1], { [key]: v } as never));
      }
      outcome(`merge(${label})`, () => ev.merge(v as never));
      outcome(`fromJSON(${label})`, () => LanguageModelEvaluator.fromJSON(v));
      const json = new LanguageModelEvaluator({ classes: 3 }).update(logits(), [0, 2, 1], { bytes: 4 }).toJSON() as unknown as Record<string, unknown>;
      for (const field of Object.keys(json)) {
        outcome(`fromJSON with ${field} = ${label}`, () => LanguageModelEvaluator.fromJSON({ ...json, [field]: v }));
      }
      outcome('result()', () => ev.result());
    }
  });

  it('Comparison: constructor, every option, update and its options, merge, fromJSON', () => {
    const logits = () => [[1, 2, 3], [0, 1, 2], [3, 1, 0]];
    for (const [label, v] of hostile()) {
      outcome(`new Comparison(${label})`, () => new Comparison(v as never));
      for (const key of ['classes', 'ignoreIndex', 'topK', 'base', 'bootstrap']) {
        outcome(`new Comparison({ ${key}: ${label} })`, () => new Comparison({ classes: 3, [key]: v } as never));
      }
      outcome(`new Comparison({ bootstrap: { resamples: ${label} } })`, () => new Comparison({ classes: 3, bootstrap: { resamples: v } } as never));
      const cmp = new Comparison({ classes: 3, bootstrap: { resamples: 4 } });
      outcome(`update(${label}, candidate, targets)`, () => cmp.update(v as never, logits(), [0, 2, 1]));
      outcome(`update(base, ${label}, targets)`, () => cmp.update(logits(), v as never, [0, 2, 1]));
      outcome(`update(base, candidate, ${label})`, () => cmp.update(logits(), logits(), v as never));
      outcome(`update(base, candidate, targets, ${label})`, () => cmp.update(logits(), logits(), [0, 2, 1], v as never));
      for (const key of ['shift', 'sequenceLength', 'sequenceIds', 'dtype', 'offset']) {
        outcome(`update option ${key} = ${label}`, () => cmp.update(logits(), logits(), [0, 2, 1], { [key]: v } as never));
      }
      outcome(`merge(${label})`, () => cmp.merge(v as never));
      outcome(`fromJSON(${label})`, () => Comparison.fromJSON(v));
      const json = new Comparison({ classes: 3, bootstrap: { resamples: 4 } }).update(logits(), logits(), [0, 2, 1]).toJSON() as unknown as Record<string, unknown>;
      for (const field of Object.keys(json)) {
        outcome(`fromJSON with ${field} = ${label}`, () => Comparison.fromJSON({ ...json, [field]: v }));
      }
      outcome('result()', () => cmp.result());
    }
  });
});

describe('init() with hostile options', () => {
  afterEach(async () => {
    await init({ backend: 'wasm' });
  });

  it('rejects unknown keys and bad values with INVALID_OPTION (a rejected promise), never another error', async () => {
    for (const b of BACKENDS) {
      await expect(init({ backend: b === 'js' ? 'js' : 'wasm', maxMemry: 1 } as never)).rejects.toMatchObject({
        code: 'INVALID_OPTION', message: expect.stringMatching(/no option "maxMemry"/),
      });
    }
    for (const [label, v] of hostile()) {
      for (const key of [null, 'backend', 'simd', 'module', 'bytes', 'maxMemory']) {
        const options = key === null ? v : { [key]: v };
        try {
          await init(options as never);
        } catch (e) {
          if (!(e instanceof XentError)) expect.fail(`init(${key ?? ''} ${label}) threw ${(e as Error)?.message}`);
        }
      }
    }
  });
});

/** Object.is on every number of two results (numbers, typed arrays, objects of them). */
function sameResult(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>;
    const y = b as unknown as ArrayLike<number>;
    return x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => sameResult((a as never)[k], (b as never)[k]));
  }
  return a === b;
}

/** Values an option might take that would change a result if they were read. */
const TEMPTING = [2, 'sum', 'none', true, 'keras', 'torch', 0.5, [1, 2, 3], 'logits', 1];

describeBackends('inherited and non-enumerable option keys', () => {
  it.each(exported.map(([k]) => k).filter((k) => !['allocate', 'backend', 'fallbackReason'].includes(k)))(
    '%s: a polluted Object.prototype and non-enumerable keys change nothing', (name) => {
      const fn = (xent as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
      const clean = fn(...BASE[name]());
      const proto = Object.prototype as Record<string, unknown>;
      for (const key of optionNames(fn, BASE[name]())) {
        for (const v of TEMPTING) {
          try {
            proto[key] = v;
            expect(sameResult(fn(...BASE[name]()), clean), `Object.prototype.${key} = ${String(v)}`).toBe(true);
            expect(sameResult(fn(...BASE[name](), {}), clean), `Object.prototype.${key} = ${String(v)}, options {}`).toBe(true);
          } finally {
            delete proto[key];
          }
          const hidden = Object.defineProperty({}, key, { value: v, enumerable: false });
          expect(sameResult(fn(...BASE[name](), hidden), clean), `non-enumerable ${key} = ${String(v)}`).toBe(true);
        }
      }
    });

  it('Evaluator options and states', () => {
    const clean = new Evaluator({ classes: 3 }).update([[1, 2, 3], [3, 2, 1]], [0, 0]);
    const json = clean.toJSON();
    const proto = Object.prototype as Record<string, unknown>;
    for (const [key, v] of [['from', 'probs'], ['base', 2], ['topK', 1], ['multiLabel', true], ['ignoreIndex', 0],
      ['sampleWeight', [0, 1]], ['compat', 'keras']] as const) {
      try {
        proto[key] = v;
        const ev = new Evaluator({ classes: 3 }).update([[1, 2, 3], [3, 2, 1]], [0, 0], {});
        expect(sameResult(ev.result(), clean.result()), key).toBe(true);
        expect(sameResult(Evaluator.fromJSON(JSON.stringify(json)).result(), clean.result()), key).toBe(true);
      } finally {
        delete proto[key];
      }
    }
    // a state missing a field is refused, not filled in from the prototype
    const { rows: _, ...missing } = json as Record<string, unknown>;
    try {
      proto.rows = 2;
      expectXent(() => Evaluator.fromJSON(missing), 'INVALID_TYPE', 'rows');
    } finally {
      delete proto.rows;
    }
  });
});

describeBackends('inherited keys in the language-model entries', () => {
  it('LanguageModelEvaluator options, update options and states', () => {
    const logits = [[1, 2, 3], [0, 1, 2], [3, 1, 0]];
    const run = () => new LanguageModelEvaluator({ classes: 3 }).update(logits, [0, 2, 1], {});
    const clean = run();
    const json = clean.toJSON();
    const proto = Object.prototype as Record<string, unknown>;
    for (const [key, v] of [['topK', 1], ['base', 2], ['ignoreIndex', 2], ['shift', true], ['sequenceLength', 1],
      ['sequenceIds', [0, 1, 1]], ['bytes', 7], ['dtype', 'float16']] as const) {
      try {
        proto[key] = v;
        expect(sameResult(run().result(), clean.result()), key).toBe(true);
        expect(sameResult(LanguageModelEvaluator.fromJSON(JSON.stringify(json)).result(), clean.result()), key).toBe(true);
      } finally {
        delete proto[key];
      }
    }
    // a state missing a field is refused, not filled in from the prototype
    const { tokens: _, ...missing } = json as unknown as Record<string, unknown>;
    try {
      proto.tokens = 3;
      expectXent(() => LanguageModelEvaluator.fromJSON(missing), 'INVALID_TYPE', 'tokens');
    } finally {
      delete proto.tokens;
    }
  });
});

describe('option getters', () => {
  it('a getter that throws is INVALID_OPTION naming the option; a getter is read once', () => {
    const opts = Object.defineProperty({}, 'reduction', { get: () => { throw new Error('no'); }, enumerable: true });
    expectXent(() => xent.softmaxCrossEntropy([[1, 2]], [0], opts), 'INVALID_OPTION', '"reduction"', 'no');
    let reads = 0;
    const counting = Object.defineProperty({}, 'reduction', { get: () => (reads++ === 0 ? 'sum' : 'bogus'), enumerable: true });
    expect(xent.softmaxCrossEntropy([[1, 2], [2, 1]], [0, 0], counting)).toBe(xent.softmaxCrossEntropy([[1, 2], [2, 1]], [0, 0], { reduction: 'sum' }));
    expect(reads).toBe(1);
  });
});

describe('Evaluator.fromJSON checks meaning', () => {
  const good = () => new Evaluator({ classes: 3 }).update([[1, 2, 3], [3, 2, 1], [0, 0, 5]], [0, 0, 2], { sampleWeight: [1, 2, 0.5] }).toJSON() as Record<string, unknown>;
  /** A state whose per-class column k holds `values`, one per class (version 2 writes columns over the classes seen). */
  const column = (j: Record<string, unknown>, k: string, values: number[]) => {
    const p = j.perClass as Record<string, number[]>;
    const ids = values.map((_, c) => c);
    const cols = Object.fromEntries(Object.keys(p).map((n) => [n, ids.map((c) => (p.class.includes(c) ? p[n][p.class.indexOf(c)] : 0))]));
    return { ...j, perClass: { ...cols, class: ids, [k]: values } };
  };
  const multi = () => new Evaluator({ classes: 2, multiLabel: true }).update([[1, -2], [3, 0]], [[1, 0], [0, 1]]).toJSON() as Record<string, unknown>;

  it('a real state round-trips', () => {
    expect(Evaluator.fromJSON(good()).result().count).toBe(3);
    expect(Evaluator.fromJSON(JSON.stringify(multi())).result().count).toBe(2);
    expect(Evaluator.fromJSON(new Evaluator({ classes: 4 }).toJSON()).result().count).toBe(0);
  });

  it.each([
    ['more correct weight than weight', (j: Record<string, unknown>) => ({ ...j, correct: 33 * (j.weight as number) }), /correct/],
    ['top-k above the weight', (j: Record<string, unknown>) => ({ ...j, topK: 1e9 }), /topK/],
    ['a negative weight', (j: Record<string, unknown>) => ({ ...j, weight: -1 }), /weight/],
    ['a negative row count', (j: Record<string, unknown>) => ({ ...j, rows: -3 }), /rows/],
    ['a fractional row count', (j: Record<string, unknown>) => ({ ...j, rows: 2.5 }), /rows/],
    ['a negative ignored count', (j: Record<string, unknown>) => ({ ...j, ignored: -1 }), /ignored/],
    ['weight with no rows', (j: Record<string, unknown>) => ({ ...j, rows: 0 }), /no row/],
    ['a Brier sum above 2 per unit of weight', (j: Record<string, unknown>) => ({ ...j, brier: 100 }), /brier/],
    ['a negative histogram count', (j: Record<string, unknown>) => ({ ...j, hist: [[3, -1]] }), /hist/],
    ['a histogram that does not hold the weight', (j: Record<string, unknown>) => ({ ...j, hist: [[3, 1]] }), /histogram/],
    ['a negative per-class support', (j: Record<string, unknown>) => column(j, 'support', [-1, 0, 0]), /support/],
    ['per-class correct above support', (j: Record<string, unknown>) => column(j, 'classCorrect', [100, 0, 0]), /class 0/],
    ['a calibration bin with more confidence than weight', (j: Record<string, unknown>) => ({ ...j, eceConf: (j.eceConf as number[]).map((v) => v * 10 + 1) }), /calibration bin/],
    ['min above max', (j: Record<string, unknown>) => ({ ...j, min: 10, max: 1 }), /min/],
  ])('refuses %s (INVALID_STATE), where it would give nonsense', (_, edit, pattern) => {
    expectXent(() => Evaluator.fromJSON(edit(good())), 'INVALID_STATE', pattern);
  });

  it('refuses a multi-label state whose per-label sums exceed the rows', () => {
    const j = multi();
    expectXent(() => Evaluator.fromJSON(column(j, 'predicted', [5, 0])), 'INVALID_STATE', /predicted/);
    expectXent(() => Evaluator.fromJSON(column(j, 'classCorrect', [0, 9])), 'INVALID_STATE', /class 1/);
  });

  it('huge classes in a state or an evaluator: OUT_OF_MEMORY, not a RangeError', () => {
    expectXent(() => new Evaluator({ classes: 2 ** 40, perClass: true }), 'OUT_OF_MEMORY', 'classes');
    const j = good();
    const settings = { ...(j.settings as object), classes: 2 ** 40 };
    expectXent(() => Evaluator.fromJSON({ ...j, settings }), 'OUT_OF_MEMORY');
    // without per-class figures (the default above 1024 classes) nothing per class is allocated
    expect(new Evaluator({ classes: 2 ** 40 }).toJSON().settings.perClass).toBe(false);
  });

  it('merge(null) and merge of a non-Evaluator: INVALID_TYPE', () => {
    const ev = new Evaluator({ classes: 2 });
    expectXent(() => ev.merge(null as never), 'INVALID_TYPE', 'merge');
    expectXent(() => ev.merge({ state: {} } as never), 'INVALID_TYPE', 'merge');
    const lm = new LanguageModelEvaluator({ classes: 2 });
    expectXent(() => lm.merge(null as never), 'INVALID_TYPE', 'merge');
    expectXent(() => lm.merge(ev as never), 'INVALID_TYPE', 'merge');
  });
});

describe('sparse arrays', () => {
  it('a sparse array of length 2^32 - 1 is INVALID_TYPE at its first hole, as input, target, weight or row', () => {
    expectXent(() => xent.softmax(sparse(2 ** 32 - 1)), 'INVALID_TYPE', 'x[0]', 'holes');
    expectXent(() => xent.information(sparse(2 ** 32 - 1)), 'INVALID_TYPE', 'p[0]');
    expectXent(() => xent.softmaxCrossEntropy([sparse(2 ** 32 - 1)], [0]), 'INVALID_TYPE', 'logits[0][0]');
    const holeLater = [1, 2, 3];
    holeLater.length = 2 ** 32 - 1;
    expectXent(() => xent.logSumExp(holeLater), 'INVALID_TYPE', 'x[3]');
    expectXent(() => xent.sigmoidCrossEntropy([1, 2], [0, 1], { weight: sparse(2 ** 32 - 1) }), 'SHAPE_MISMATCH', 'weight');
    expectXent(() => xent.scoreTokens([[1, 2], [2, 1]], [0, 1], { sequenceIds: sparse(2 ** 32 - 1) }), 'SHAPE_MISMATCH', 'sequenceIds');
  });

  it('fromLogprobs: a sparse array anywhere in the input is INVALID_TYPE at its first hole, at once', () => {
    const start = performance.now();
    expectXent(() => xent.fromLogprobs(sparse(2 ** 32 - 1)), 'INVALID_TYPE', 'input[0]', 'holes');
    expectXent(() => xent.fromLogprobs({ choices: sparse(2 ** 32 - 1) }), 'INVALID_TYPE', 'input.choices[0]');
    const content = [{ token: 'a', logprob: -1 }];
    content.length = 2 ** 32 - 1;
    expectXent(() => xent.fromLogprobs({ choices: [{ logprobs: { content } }] }), 'INVALID_TYPE', 'content[1]');
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
