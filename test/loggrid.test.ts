// The log-spaced grids of the loss histogram (quantiles.ts) and the comparison's sketches (sketch.ts): their slot()
// reads a table instead of taking a logarithm, and must give the bin of floor((log10(v) - loExp)·perDecade), the
// definition, for every float: at each bin's edge (the floats on either side of it), at random, and at the extremes.
import { describe, expect, it } from 'vitest';
import { LogGrid } from '../src/eval/loggrid.js';
import * as losses from '../src/eval/quantiles.js';
import * as sketches from '../src/eval/sketch.js';
import { prng } from './helpers.js';

/** The slot by the definition, with Math.log10. */
function defined(v: number, perDecade: number, loExp: number, hiExp: number): number {
  const bins = (hiExp - loExp) * perDecade;
  if (!(v >= 10 ** loExp)) return 0;
  if (v >= 10 ** hiExp) return bins + 1;
  const b = Math.floor((Math.log10(v) - loExp) * perDecade);
  return 1 + Math.min(Math.max(b, 0), bins - 1);
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** The float k steps (in units of the last place) from v > 0. */
function ulps(v: number, k: number): number {
  f64[0] = v;
  i64[0] += BigInt(k);
  return f64[0];
}

const coarse = new LogGrid(10, -3, 2);
const GRIDS: [string, number, number, number, (v: number) => number][] = [
  ['loss histogram', losses.PER_DECADE, losses.LO_EXP, losses.HI_EXP, losses.slotOf],
  ['sketch', sketches.PER_DECADE, sketches.LO_EXP, sketches.HI_EXP, sketches.slotOf],
  ['a coarse grid', 10, -3, 2, (v) => coarse.slot(v)],
];

describe('LogGrid.slot: the definition floor((log10(v) - loExp)·perDecade), without a logarithm', () => {
  for (const [name, perDecade, loExp, hiExp, slot] of GRIDS) {
    const bins = (hiExp - loExp) * perDecade;
    it(`${name}: every bin's edge, 24 floats either side`, () => {
      let mismatches = 0;
      for (let s = 0; s <= bins; s++) {
        const edge = 10 ** (loExp + s / perDecade);
        for (let k = -24; k <= 24; k++) {
          const v = ulps(edge, k);
          const want = defined(v, perDecade, loExp, hiExp);
          if (slot(v) !== want) {
            mismatches++;
            expect(slot(v), `${name}: ${v} (${k} floats from 10^(${loExp} + ${s}/${perDecade}))`).toBe(want);
          }
        }
      }
      expect(mismatches).toBe(0);
    });
    it(`${name}: 200,000 random values across and beyond the range, and the extremes`, () => {
      const rand = prng(perDecade + loExp);
      for (let i = 0; i < 200_000; i++) {
        const v = 10 ** (loExp - 2 + rand() * (hiExp - loExp + 4));
        const want = defined(v, perDecade, loExp, hiExp);
        if (slot(v) !== want) expect(slot(v), `${v}`).toBe(want);
      }
      const extremes = [0, -0, NaN, Infinity, -1, Number.MIN_VALUE, 1e-300, 10 ** loExp, 10 ** hiExp, Number.MAX_VALUE];
      for (const v of extremes) expect(slot(v), `${v}`).toBe(defined(v, perDecade, loExp, hiExp));
      expect(slot(Infinity)).toBe(bins + 1);
      expect(slot(NaN)).toBe(0);
    });
  }
  it('bounds(s) holds the floats slot() puts in s (within a float at the ends)', () => {
    for (let s = 1; s <= coarse.bins; s++) {
      const [lo, hi] = coarse.bounds(s);
      expect(coarse.slot(Math.sqrt(lo * hi))).toBe(s);
      expect(Math.abs(coarse.slot(lo) - s)).toBeLessThanOrEqual(1);
    }
    expect(coarse.bounds(0)).toEqual([0, 1e-3]);
    expect(coarse.bounds(coarse.bins + 1)).toEqual([100, Infinity]);
    expect(coarse.slots).toBe(coarse.bins + 2);
  });
});
