/**
 * A log-spaced grid of slots for mergeable histograms: `perDecade` bins per decade over [10^loExp, 10^hiExp), slot 0
 * below (0 included), slot bins + 1 at and above (Infinity included). Slot 1 + b holds the values whose
 * floor((log10(v) - loExp)·perDecade) is b.
 *
 * `slot` finds that without a logarithm: the first boundary at or above each value's binade-and-8-bit key is read
 * from a table, then one comparison with the next boundary decides (a key covers a ratio of at most 1 + 2^-8, less
 * than one bin for up to 200 bins per decade). The boundaries are the smallest floats of each bin by that very
 * formula, found once on first use, so `slot` gives the formula's bin for every float.
 */
import { XentError } from '../core/errors.js';

// (pure: a bundle without histograms leaves them out)
const f64 = /* @__PURE__ */ new Float64Array(1);
const u32 = /* @__PURE__ */ new Uint32Array(f64.buffer);
/** Which 32-bit half of a float64 holds its sign, exponent and leading mantissa bits (1 on little-endian hosts). */
const HIGH = /* @__PURE__ */ highHalf();
/** A float's top 20 bits (sign 0, 11 exponent bits, 8 mantissa bits): its key. */
const KEY_SHIFT = 12;

function highHalf(): number {
  return new Uint8Array(new Uint16Array([1]).buffer)[0];
}

function keyOf(v: number): number {
  f64[0] = v;
  return u32[HIGH] >>> KEY_SHIFT;
}

/** The float after (dir 1) or before (dir -1) a positive finite v: its bits as a 64-bit integer, plus dir. */
function step(v: number, dir: 1 | -1): number {
  f64[0] = v;
  const low = 1 - HIGH;
  const wraps = dir > 0 ? u32[low] === 0xffff_ffff : u32[low] === 0;
  u32[low] += dir;
  if (wraps) u32[HIGH] += dir;
  return f64[0];
}

/** A log-spaced grid (see the module's comment). */
export class LogGrid {
  readonly bins: number;
  /** bins + 2 */
  readonly slots: number;
  private readonly lo: number;
  private readonly hi: number;
  /** start[s]: the smallest float in slot s (s = 1 .. bins + 1); start[bins + 2] = Infinity. Empty until first use. */
  private start = new Float64Array(0);
  /** first[k]: the slot of key keyLo + k's smallest float (or of 10^loExp for the first key). */
  private first = new Uint16Array(0);
  private keyLo = 0;

  constructor(readonly perDecade: number, readonly loExp: number, readonly hiExp: number) {
    // a key must span less than a bin, so that its floats lie in one slot or the next
    if (!(10 ** (1 / perDecade) > 1 + 2 ** -8)) {
      throw new XentError('INTERNAL', `${perDecade} bins per decade: too fine for the keys`);
    }
    this.bins = (hiExp - loExp) * perDecade;
    this.slots = this.bins + 2;
    this.lo = 10 ** loExp;
    this.hi = 10 ** hiExp;
  }

  /** The slot of v >= 0 (or Infinity; NaN goes to slot 0). */
  slot(v: number): number {
    if (!(v >= this.lo)) return 0;
    if (v >= this.hi) return this.bins + 1;
    if (this.first.length === 0) this.build();
    f64[0] = v;
    const s = this.first[(u32[HIGH] >>> KEY_SHIFT) - this.keyLo];
    return s + (v >= this.start[s + 1] ? 1 : 0);
  }

  /** [lo, hi) of a slot. */
  bounds(s: number): [number, number] {
    if (s === 0) return [0, this.lo];
    if (s === this.bins + 1) return [this.hi, Infinity];
    return [10 ** (this.loExp + (s - 1) / this.perDecade), 10 ** (this.loExp + s / this.perDecade)];
  }

  /** The bin of v in [lo, hi) by the formula: floor((log10(v) - loExp)·perDecade). */
  private binOf(v: number): number {
    return Math.floor((Math.log10(v) - this.loExp) * this.perDecade);
  }

  private build(): void {
    const { bins, perDecade, loExp } = this;
    const st = new Float64Array(bins + 3);
    st[1] = this.lo;
    st[bins + 1] = this.hi;
    st[bins + 2] = Infinity;
    for (let b = 1; b < bins; b++) {
      // the smallest float whose bin is >= b: walk from the decimal estimate (a few floats off at most)
      let v = 10 ** (loExp + b / perDecade);
      while (this.binOf(v) >= b) v = step(v, -1);
      while (this.binOf(v) < b) v = step(v, 1);
      st[b + 1] = v;
    }
    const keyLo = keyOf(this.lo);
    const first = new Uint16Array(keyOf(this.hi) - keyLo + 1);
    let s = 1;
    for (let k = 0; k < first.length; k++) {
      f64[0] = 0;
      u32[HIGH] = (k + keyLo) << KEY_SHIFT;
      const v = Math.max(f64[0], this.lo);
      while (st[s + 1] <= v) s++;
      first[k] = s;
    }
    this.start = st;
    this.keyLo = keyLo;
    this.first = first;
  }
}
