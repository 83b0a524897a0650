/**
 * The pure-TypeScript model-comparison kernel (ComparisonKernels.compareRows), used by comparing.ts when the
 * TypeScript backend is active: the same three passes and the same term forms as assembly/compare.ts (see there for
 * the forms and their accuracy), in JS numbers.
 */
import { HalfArray, decodeHalf } from '../core/dtype.js';
import type { ComparisonKernels, FloatArray, FloatData } from './kernels.js';

const SMALL = 0.01;

/** The element values of a row input: half bits decoded exactly, float arrays as they are. */
const floats = (d: FloatData, n: number): FloatArray =>
  d instanceof HalfArray ? decodeHalf(d.bits.subarray(0, n), d.format, new Float32Array(n)) : d;

/**
 * Adds the terms of one element with log-probabilities la (base) and lb (candidate) to acc = [KL(a ‖ b), KL(b ‖ a),
 * JS].
 */
function addTerms(la: number, lb: number, acc: Float64Array): void {
  const pa = Math.exp(la);
  const pb = Math.exp(lb);
  if (pa === 0 && pb === 0) return;
  const aBig = pa >= pb;
  const P = aBig ? pa : pb;
  const p = aBig ? pb : pa;
  const t = aBig ? la - lb : lb - la;
  let big: number;
  let small: number;
  let eps: number;
  if (t < SMALL) {
    const t2 = t * t;
    const odd = t2 * t * (1 / 6 + t2 * (1 / 120));
    const even = t2 * (0.5 + t2 * (1 / 24 + t2 * (1 / 720)));
    big = P * (even - odd);
    small = p * (even + odd);
    eps = even - odd - t;
  } else {
    eps = p / P - 1;
    big = P * (eps + t);
    small = p === 0 ? P : P - p - p * t;
  }
  big = Math.max(big, 0);
  small = Math.max(small, 0);
  acc[0] += aBig ? big : small;
  acc[1] += aBig ? small : big;
  let js = -(P + p) * Math.log1p(eps * 0.5);
  if (p > 0) js -= p * t;
  acc[2] += Math.max(0.5 * js, 0);
}

export const jsComparison: ComparisonKernels = {
  compareRows(da, db, rows, cols, labels, out, ints) {
    const a = floats(da, rows * cols);
    const b = floats(db, rows * cols);
    const acc = new Float64Array(3);
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const y = labels[r];
      const o = 6 * r;
      const io = 4 * r;
      if (y < 0) {
        out.fill(0, o, o + 6);
        ints.set([-1, -1, 0, 0], io);
        continue;
      }
      const ay = a[off + y];
      const by = b[off + y];
      let Ma = -Infinity;
      let Mb = -Infinity;
      let ta = -1;
      let tb = -1;
      let upA = 0;
      let upB = 0;
      for (let j = 0; j < cols; j++) {
        const va = a[off + j];
        const vb = b[off + j];
        if (va > Ma) {
          Ma = va;
          ta = j;
        }
        if (vb > Mb) {
          Mb = vb;
          tb = j;
        }
        if (va > ay) upA++;
        if (vb > by) upB++;
      }
      let Sa = 0;
      let Sb = 0;
      for (let j = off; j < off + cols; j++) {
        Sa += Math.exp(a[j] - Ma);
        Sb += Math.exp(b[j] - Mb);
      }
      const La = Math.log(Sa);
      const Lb = Math.log(Sb);
      const nllA = Ma - ay + La;
      const nllB = Mb - by + Lb;
      out[o] = nllA;
      out[o + 1] = nllB;
      ints[io] = ta;
      ints[io + 1] = tb;
      ints[io + 2] = upA;
      ints[io + 3] = upB;
      if (Sa !== Sa || Sb !== Sb) {
        out.fill(NaN, o + 2, o + 6);
        continue;
      }
      acc.fill(0);
      for (let j = off; j < off + cols; j++) addTerms(a[j] - Ma - La, b[j] - Mb - Lb, acc);
      out[o + 2] = acc[0];
      out[o + 3] = acc[1];
      out[o + 4] = acc[2];
      out[o + 5] = Math.exp(-nllB) - Math.exp(-nllA);
    }
  },
};
