/**
 * The packed form of evaluator states (packState / mergePacked), with which `xent eval --threads` sends block states
 * between threads: merging packed states must give the very bits that merging the JSON states (or the evaluators
 * themselves) gives, in the same order, including infinite losses, ignored rows, weights and empty blocks.
 */
import { describe, expect, it } from 'vitest';
import { Evaluator, type EvaluatorOptions, mergePacked, packState } from '../src/eval/evaluator.js';
import { prng } from './helpers.js';

/** Every number of a state, as bits: equal arrays mean bit-identical states (NaN payloads and -0 included). */
const bits = (ev: Evaluator) => Array.from(new BigUint64Array(packState(ev).buffer));

/** Blocks of single-label rows: some empty, some ignored rows, weights, and an infinite loss. */
function singleLabelBlocks(options: EvaluatorOptions, seed: number): Evaluator[] {
  const r = prng(seed);
  const c = options.classes;
  const blocks: Evaluator[] = [];
  for (let b = 0; b < 12; b++) {
    const ev = new Evaluator(options);
    const rows = b % 4 === 1 ? 0 : 1 + Math.floor(r() * 40);
    if (rows > 0) {
      const x = new Float64Array(rows * c);
      const y = new Int32Array(rows);
      const w = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += x[i * c + j] = options.from === 'probs' ? r() + 1e-3 : 10 * r() - 5;
        if (options.from === 'probs') for (let j = 0; j < c; j++) x[i * c + j] /= s;
        y[i] = i % 7 === 3 ? -100 : Math.floor(r() * c);
        w[i] = i % 5 === 0 ? 0 : 3 * r();
      }
      // A true class of probability 0: an infinite loss (and max = Infinity in every later merge).
      if (options.from === 'probs' && b === 6) {
        y[0] = 0;
        x[0] = 0;
        x[1] = 1;
        for (let j = 2; j < c; j++) x[j] = 0;
      }
      ev.update(x, y, { sampleWeight: b % 3 === 0 ? undefined : w });
    }
    blocks.push(ev);
  }
  return blocks;
}

function multiLabelBlocks(seed: number, options: EvaluatorOptions = { classes: 4, multiLabel: true }): Evaluator[] {
  const r = prng(seed);
  return Array.from({ length: 6 }, (_, b) => {
    const ev = new Evaluator(options);
    const rows = b === 2 ? 0 : 1 + Math.floor(r() * 30);
    const x = Float32Array.from({ length: rows * 4 }, () => 8 * r() - 4);
    const t = Float32Array.from({ length: rows * 4 }, () => (r() < 0.4 ? 1 : 0));
    return ev.update(x, t);
  });
}

/** The three ways of merging blocks in order: the evaluators, their JSON states, their packed states. */
function mergeAll(options: EvaluatorOptions, blocks: Evaluator[]) {
  const direct = new Evaluator(options);
  const json = new Evaluator(options);
  const packed = new Evaluator(options);
  for (const b of blocks) {
    direct.merge(b);
    json.merge(Evaluator.fromJSON(JSON.stringify(b)));
    mergePacked(packed, packState(b));
  }
  return { direct, json, packed };
}

describe('packed evaluator states', () => {
  const cases: [string, EvaluatorOptions, () => Evaluator[]][] = [
    ['logits', { classes: 9, ignoreIndex: -100 }, () => singleLabelBlocks({ classes: 9, ignoreIndex: -100 }, 1)],
    ['probabilities with an infinite loss', { classes: 5, from: 'probs', ignoreIndex: -100 },
      () => singleLabelBlocks({ classes: 5, from: 'probs', ignoreIndex: -100 }, 2)],
    ['multi-label', { classes: 4, multiLabel: true }, () => multiLabelBlocks(3)],
    ['logits without per-class figures', { classes: 9, ignoreIndex: -100, perClass: false },
      () => singleLabelBlocks({ classes: 9, ignoreIndex: -100, perClass: false }, 4)],
    // With the bootstrap's sums (the macro F1's per class and resample among them).
    ['logits with the bootstrap', { classes: 9, ignoreIndex: -100, bootstrap: { resamples: 40, seed: 5 } },
      () => singleLabelBlocks({ classes: 9, ignoreIndex: -100, bootstrap: { resamples: 40, seed: 5 } }, 5)],
    ['multi-label with the bootstrap', { classes: 4, multiLabel: true, bootstrap: { resamples: 30, seed: 6 } },
      () => multiLabelBlocks(6, { classes: 4, multiLabel: true, bootstrap: { resamples: 30, seed: 6 } })],
  ];

  it.each(cases)('%s: merged packed states are bit-identical to merged JSON states', (_name, options, make) => {
    const blocks = make();
    const { direct, json, packed } = mergeAll(options, blocks);
    expect(bits(packed)).toEqual(bits(json));
    expect(bits(packed)).toEqual(bits(direct));
    expect(JSON.stringify(packed)).toBe(JSON.stringify(json));
    expect(packed.result()).toEqual(json.result());
  });

  it('keeps an infinite loss and the extremes of empty blocks', () => {
    const options: EvaluatorOptions = { classes: 5, from: 'probs', ignoreIndex: -100 };
    const { packed } = mergeAll(options, singleLabelBlocks(options, 2));
    expect(packed.result().max).toBe(Infinity);
    expect(packed.result().nats).toBe(Infinity);
    const empty = new Evaluator(options);
    const p = packState(empty);
    expect(p).toContain(Infinity);
    expect(p).toContain(-Infinity);
    const back = new Evaluator(options);
    mergePacked(back, p);
    expect(bits(back)).toEqual(bits(empty));
    expect(back.toJSON()).toEqual(empty.toJSON());
  });

  it('round-trips a state: an empty evaluator plus the packed state is the state', () => {
    for (const [, options, make] of cases) {
      for (const b of make()) {
        const back = new Evaluator(options);
        mergePacked(back, packState(b));
        expect(bits(back)).toEqual(bits(b));
        expect(back.toJSON()).toEqual(b.toJSON());
      }
    }
  });

  it('refuses a packed state of another class count', () => {
    const p = packState(new Evaluator({ classes: 3 }));
    expect(() => mergePacked(new Evaluator({ classes: 4 }), p)).toThrow(/packed state of 4 classes/);
  });
});
