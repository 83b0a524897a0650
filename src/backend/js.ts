/**
 * Pure-TypeScript kernels: the fallback where WebAssembly is unavailable, and a second opinion in tests.
 *
 * Every value is computed in float64 JS numbers whatever the array type, so float32 calls are at least as
 * accurate as the wasm float32 path. This file is measured against hand-tuned JS, hence its shape: index loops
 * over typed arrays, nothing allocated per row or element, null checks hoisted where the inner loop is hot.
 *
 * NaN policy: comparisons skip NaN (`NaN > m` is false), so every loop is arranged so that a NaN element still
 * reaches its row's result through arithmetic; the API layer relies on that to report the offending index.
 */
import type { FloatArray, FloatKernels } from './kernels.js';
import { BLOCK, rowMax } from './js-common.js';
import { gradientKernels } from './js-gradients.js';

/** Smallest positive normal double; a quotient below it has lost precision or underflowed. */
const MIN_NORMAL = 2.2250738585072014e-308;
/**
 * Within this distance of 1, log of a rounded ratio loses digits (its error is ε / |log r|), so the divergences
 * switch to log1p of an exact difference. Outside, the plain log is good to ~1e-14 and costs less than log1p;
 * typical data rarely lands inside (or lands there throughout), so the branch predicts well.
 */
const NEAR = 1 / 64;
/** KL's fast pass stands when KL ≥ KL_FAST · Σ(p + q): its error bound ε · Σ p is then ≤ ~2e-14 relative. */
const KL_FAST = 5e-3;

/**
 * log Σ_j exp(d_j), d_j = (x_j - X)·s, as log1p((k - 1) + rest), k the count of x_j equal to the max X: a confident
 * row's tiny loss keeps its relative accuracy (log of 1 + rest would round rest away), and an infinite max never
 * meets Inf - Inf.
 */
function logSumShifted(x: FloatArray, off: number, n: number, s: number, X: number): number {
  let k = 0;
  let rest = 0;
  for (let b = off, end = off + n; b < end; b += BLOCK) {
    let part = 0;
    for (let j = b, e = Math.min(b + BLOCK, end); j < e; j++) {
      const v = x[j];
      if (v === X) k++;
      else part += Math.exp((v - X) * s); // NaN lands here and poisons the row
    }
    rest += part;
  }
  return Math.log1p(k - 1 + rest);
}

/** log(a / b) for a, b > 0, falling back to log a - log b when the quotient overflows or underflows. */
function logRatio(a: number, b: number): number {
  const r = a / b;
  return r >= MIN_NORMAL && r < Infinity ? Math.log(r) : Math.log(a) - Math.log(b);
}

/**
 * Σ rel_entr(p_j, q_j) over one row for the rows the fast pass declines. Where p_j ≈ q_j the rel_entr terms
 * cancel to first order, so those are summed as Σ [p log(p/q) - p + q] (terms ≥ 0) plus Σ (p - q) (exact
 * differences, Neumaier-compensated): the same value, without the cancellation. The other terms are summed as they are.
 */
function klCareful(p: FloatArray, q: FloatArray, off: number, n: number): number {
  let pos = 0;
  let dSum = 0;
  let dComp = 0;
  let far = 0;
  let edge = 0;
  for (let j = off, end = off + n; j < end; j++) {
    const a = p[j];
    const b = q[j];
    if (a > 0 && b > 0) {
      const d = a - b; // exact when a / b is near 1
      if (d < NEAR * b && d > -NEAR * b) {
        // b·h(u), h(u) = (1 + u) log1p(u) - u = Σ_{k≥2} (-u)^k / (k (k - 1)); |u| < 1/64, so 10 terms reach ε.
        const u = d / b;
        pos += d * u * (1 / 2 + u * (-1 / 6 + u * (1 / 12 + u * (-1 / 20 + u * (1 / 30 + u * (-1 / 42 +
          u * (1 / 56 + u * (-1 / 72 + u * (1 / 90 + u * (-1 / 110))))))))));
        const sum = dSum + d;
        dComp += Math.abs(dSum) >= Math.abs(d) ? dSum - sum + d : d - sum + dSum;
        dSum = sum;
      } else {
        // Far from 1 the term itself is accurate; rewriting it as (p log(p/q) - p + q) - (p - q) would let a large
        // q beside a tiny p cancel away a tiny divergence.
        far += a * logRatio(a, b);
      }
    } else {
      edge += relEntrEdge(a, b);
    }
  }
  return pos + (dSum + dComp) + far + edge;
}

/** rel_entr(p, q) outside p > 0, q > 0, as SciPy: NaN, then 0 for p = 0 ≤ q, then +Infinity. */
function relEntrEdge(p: number, q: number): number {
  if (p !== p || q !== q) return NaN;
  return p === 0 && q >= 0 ? 0 : Infinity;
}

/** p log(p / m) + q log(q / m), m = (p + q) / 2, when p or q is 0 or NaN (negative ones are the API's to reject). */
function jsEdge(p: number, q: number): number {
  if (p !== p || q !== q) return NaN;
  return p > 0 ? p * Math.LN2 : q > 0 ? q * Math.LN2 : 0;
}

/**
 * Binary CE where the fast formula gave NaN: NaN in, or an infinite logit. The limit is
 * (1 - t')·max(x, 0) + pw·t'·max(-x, 0), a zero coefficient contributing 0 (the target agrees with the logit).
 */
function sigmoidEdge(x: number, tp: number, pw: number): number {
  if (x !== x || tp !== tp || pw !== pw) return NaN;
  const cp = 1 - tp;
  const cn = pw * tp;
  if (x > 0) return cp === 0 ? 0 : cp * x;
  return cn === 0 ? 0 : cn * -x;
}

/** A weight times a loss, where a zero weight also silences an infinite loss (NaN still shows). */
function weighted(wv: number, l: number): number {
  return wv === 0 && l === Infinity ? 0 : wv * l;
}

/** True when the row holds a NaN (a NaN sum can also come from +Infinity + -Infinity). */
function hasNaN(x: FloatArray, off: number, n: number): boolean {
  for (let j = off, end = off + n; j < end; j++) if (x[j] !== x[j]) return true;
  return false;
}

/**
 * klDivergence's rows (tol < 0: no tests); with tol ≥ 0 also klDivergenceChecked's tests of p and q, in the same
 * pass: separate validation passes would cost as much as this loop, which Math.log dominates. Two elements a step,
 * in order: every sum is as a plain loop adds it, and the loop's overhead (with the tests') is shared by two logs.
 */
function klRows(p: FloatArray, q: FloatArray, rows: number, cols: number, tol: number, out: Float64Array): boolean {
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    // Fast pass, as plain JS would do it: its error is about ε · Σ p (the rounding of each p / q), so it is kept
    // when the divergence is not tiny against the mass and is finite. Otherwise (p ≈ q, zeros of q, NaN,
    // overflowing ratios) the careful pass below recomputes the row. sq also carries a NaN of q.
    let acc = 0;
    let sp = 0; // added as rowStats adds, so that the tolerance test agrees with checkDistribution's
    let sq = 0;
    const end = off + cols;
    let j = off;
    for (; j + 1 < end; j += 2) {
      const a = p[j];
      const b = q[j];
      const c = p[j + 1];
      const d = q[j + 1];
      // x(1 - x) ≥ 0 exactly when 0 ≤ x ≤ 1 (NaN and ±Infinity fail): one test per value.
      if (tol >= 0 && !(a * (1 - a) >= 0 && b * (1 - b) >= 0 && c * (1 - c) >= 0 && d * (1 - d) >= 0)) return false;
      sp += a;
      sp += c;
      sq += b;
      sq += d;
      // p = 0 adds nothing unless q < 0; a negative (or NaN) p, or q < 0, sends the row to the careful pass
      if (a > 0) acc += a * Math.log(a / b);
      else if (a !== 0 || b < 0) acc = NaN;
      if (c > 0) acc += c * Math.log(c / d);
      else if (c !== 0 || d < 0) acc = NaN;
    }
    if (j < end) {
      const a = p[j];
      const b = q[j];
      if (tol >= 0 && !(a * (1 - a) >= 0 && b * (1 - b) >= 0)) return false;
      sp += a;
      sq += b;
      if (a > 0) acc += a * Math.log(a / b);
      else if (a !== 0 || b < 0) acc = NaN;
    }
    if (tol >= 0 && !(Math.abs(sp - 1) <= tol && Math.abs(sq - 1) <= tol)) return false;
    out[r] = acc >= KL_FAST * (sp + sq) && acc < Infinity ? acc : klCareful(p, q, off, cols);
  }
  return true;
}

export const jsKernels: FloatKernels = {
  name: 'js',

  logSumExp(x, rows, cols, s, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const X = rowMax(x, off, cols);
      // all -Infinity: -Infinity + log(cols); a +Infinity max: +Infinity (NaN when the row also holds a NaN)
      out[r] = s * X + logSumShifted(x, off, cols, s, X);
    }
  },

  softmax(x, rows, cols, s, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      const X = rowMax(x, off, cols);
      if (X === -Infinity || X === Infinity) {
        out.fill(NaN, off, end); // no finite logit, or an infinite one: undefined (the API rejects it)
        continue;
      }
      // One exp per element: store exp(d_j) and divide by the sum.
      let sum = 0;
      for (let j = off; j < end; j++) {
        const v = x[j];
        const e = v === X ? 1 : Math.exp((v - X) * s);
        out[j] = e;
        sum += e;
      }
      for (let j = off; j < end; j++) out[j] /= sum;
    }
  },

  logSoftmax(x, rows, cols, s, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      const X = rowMax(x, off, cols);
      if (X === -Infinity || X === Infinity) {
        out.fill(NaN, off, end); // as softmax
        continue;
      }
      const l = logSumShifted(x, off, cols, s, X);
      for (let j = off; j < end; j++) out[j] = (x[j] - X) * s - l;
    }
  },

  softmaxCrossEntropyLabels(x, rows, cols, s, labels, w, nll, smooth) {
    let wSum = cols;
    if (w !== null) {
      wSum = 0;
      for (let j = 0; j < cols; j++) wSum += w[j];
    }
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const y = labels[r];
      if (y < 0) {
        nll[r] = 0;
        if (smooth !== null) smooth[r] = 0;
        continue;
      }
      const end = off + cols;
      const X = rowMax(x, off, cols);
      if (X === Infinity) {
        // A +Infinity logit makes the softmax undefined, as in the WebAssembly kernels (the API rejects it).
        nll[r] = NaN;
        if (smooth !== null) smooth[r] = NaN;
        continue;
      }
      // X - x_j for an x_j equal to the max: 0, except in an all -Infinity row where every class is impossible.
      const dMax = X === -Infinity ? Infinity : 0;
      let l: number;
      if (smooth === null) {
        l = logSumShifted(x, off, cols, s, X);
      } else {
        // Σ_j w_j (X - x_j) fused into the exp-sum pass (in blocks, as the sum); s times it plus Σ_j w_j · log Σ
        // is the smoothing term.
        let k = 0;
        let rest = 0;
        let acc = 0;
        for (let b = off, c0 = 0; b < end; b += BLOCK, c0 += BLOCK) {
          let part = 0;
          let a = 0;
          const e = Math.min(b + BLOCK, end);
          if (w === null) {
            for (let j = b; j < e; j++) {
              const v = x[j];
              if (v === X) {
                k++;
                a += dMax;
              } else {
                part += Math.exp((v - X) * s);
                a += X - v;
              }
            }
          } else {
            for (let j = b, c = c0; j < e; j++, c++) {
              const v = x[j];
              const wj = w[c];
              if (v === X) {
                k++;
                if (wj !== 0) a += wj * dMax;
              } else {
                part += Math.exp((v - X) * s);
                if (wj !== 0) a += wj * (X - v); // a zero weight on a masked class is 0, not NaN
              }
            }
          }
          rest += part;
          acc += a;
        }
        l = Math.log1p(k - 1 + rest);
        smooth[r] = s * acc + wSum * l;
      }
      const xy = x[off + y];
      nll[r] = (xy === X ? dMax : s * (X - xy)) + l;
    }
  },

  softmaxCrossEntropyDense(x, t, rows, cols, s, eps, w, out, rowWeight) {
    const ta = 1 - eps;
    const tb = eps / cols;
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const end = off + cols;
      const X = rowMax(x, off, cols);
      if (X === Infinity) {
        out[r] = NaN; // as in softmaxCrossEntropyLabels
        if (rowWeight !== null) rowWeight[r] = NaN;
        continue;
      }
      const dMax = X === -Infinity ? Infinity : 0;
      // Σ_j c_j (lse - z_j) = s·Σ_j c_j (X - x_j) + (Σ_j c_j) · log Σ exp(d): every part ≥ 0, no cancellation. Every
      // sum runs in blocks (a plain sum over 50,000 classes drifts past 1e-13).
      let k = 0;
      let rest = 0;
      let acc = 0;
      let cSum = 0;
      let tw = 0;
      for (let b = off, i0 = 0; b < end; b += BLOCK, i0 += BLOCK) {
        let part = 0;
        let a = 0;
        let cs = 0;
        let ws = 0;
        const e = Math.min(b + BLOCK, end);
        if (w === null) {
          // the unweighted loop apart: the weight's test per element costs 15% here
          for (let j = b; j < e; j++) {
            const v = x[j];
            const tj = t[j];
            const c = ta * tj + tb;
            cs += c;
            ws += tj;
            if (v === X) {
              k++;
              if (c !== 0) a += c * dMax;
            } else {
              part += Math.exp((v - X) * s);
              if (c !== 0) a += c * (X - v);
            }
          }
        } else {
          for (let j = b, i = i0; j < e; j++, i++) {
            const v = x[j];
            const tj = t[j];
            const wj = w[i];
            const c = wj * (ta * tj + tb);
            cs += c;
            ws += wj * tj;
            if (v === X) {
              k++;
              if (c !== 0) a += c * dMax;
            } else {
              part += Math.exp((v - X) * s);
              if (c !== 0) a += c * (X - v);
            }
          }
        }
        rest += part;
        acc += a;
        cSum += cs;
        tw += ws;
      }
      out[r] = s * acc + cSum * Math.log1p(k - 1 + rest);
      if (rowWeight !== null) rowWeight[r] = tw;
    }
  },

  crossEntropy(t, q, rows, cols, lo, hi, w, out) {
    // [0, 1] is no clipping: bounds that never bind (NaN passes through either way).
    if (!(lo > 0 || hi < 1)) [lo, hi] = [-Infinity, Infinity];
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      for (let b = 0; b < cols; b += BLOCK) {
        let part = 0;
        for (let j = b, i = off + b, e = Math.min(b + BLOCK, cols); j < e; j++, i++) {
          const c = (t === null ? 1 : t[i]) * (w === null ? 1 : w[j]);
          const v = q[i];
          const qc = v < lo ? lo : v > hi ? hi : v;
          if (c !== 0) part -= c * Math.log(qc);
          else if (qc !== qc) part = qc; // 0 · log 0 = 0 skips the log, but a NaN must still show
        }
        acc += part;
      }
      out[r] = acc;
    }
  },

  dot(t, x, rows, cols, w, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      for (let b = 0; b < cols; b += BLOCK) {
        let part = 0;
        for (let j = b, i = off + b, e = Math.min(b + BLOCK, cols); j < e; j++, i++) {
          const c = (t === null ? 1 : t[i]) * (w === null ? 1 : w[j]);
          const v = x[i];
          if (c !== 0) part += c * v;
          else if (v !== v) part = v;
        }
        acc += part;
      }
      out[r] = acc;
    }
  },

  entropy(p, rows, cols, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      for (let b = off, end = off + cols; b < end; b += BLOCK) {
        let part = 0;
        for (let j = b, e = Math.min(b + BLOCK, end); j < e; j++) {
          const v = p[j];
          if (v !== 0) part -= v * Math.log(v); // NaN passes this test
        }
        acc += part;
      }
      out[r] = acc;
    }
  },

  klDivergence(p, q, rows, cols, out) {
    klRows(p, q, rows, cols, -1, out);
  },

  klDivergenceChecked: klRows,

  jsDivergence(p, q, rows, cols, out) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0; // Σ p log(p / m) + q log(q / m), halved at the end
      for (let j = off, end = off + cols; j < end; j++) {
        const a = p[j];
        const b = q[j];
        if (a > 0 && b > 0) {
          const sum = a + b;
          const u = (a - b) / sum; // a / m = 1 + u, b / m = 1 - u
          if (u < NEAR && u > -NEAR) {
            // a log(1 + u) + b log(1 - u) cancels to first order (digits lost as 1/u); the same value as
            // (a + b)(u atanh u + ½ log1p(-u²)) cancels by at most half.
            acc += sum * (u * Math.atanh(u) + 0.5 * Math.log1p(-u * u));
          } else {
            acc += a * Math.log((2 * a) / sum) + b * Math.log((2 * b) / sum);
          }
        } else {
          acc += jsEdge(a, b);
        }
      }
      out[r] = 0.5 * acc;
    }
  },

  rowStats(x, rows, cols, sum, min, max) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let j = off, end = off + cols; j < end; j++) {
        const v = x[j];
        acc += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (acc !== acc && hasNaN(x, off, cols)) lo = hi = NaN; // the comparisons skipped it
      sum[r] = acc;
      if (min !== null) min[r] = lo;
      if (max !== null) max[r] = hi;
    }
  },

  binaryCrossEntropy(p, t, rows, cols, lo, hi, smoothing, w, wFull, out, elementwise) {
    if (!(lo > 0 || hi < 1)) [lo, hi] = [-Infinity, Infinity];
    const ta = 1 - smoothing;
    const tb = smoothing / 2;
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      for (let j = 0, i = off; j < cols; j++, i++) {
        const v = p[i];
        const pc = v < lo ? lo : v > hi ? hi : v;
        const tp = ta * t[i] + tb;
        const tq = 1 - tp;
        // A zero coefficient skips its log (t' = 0 with p = 0 is 0, not NaN); log1p(-p) keeps small p exact.
        let l = 0;
        if (tp !== 0) l -= tp * Math.log(pc);
        if (tq !== 0) l -= tq * Math.log1p(-pc);
        if (w !== null) l = weighted(wFull ? w[i] : w[j], l);
        if (elementwise) out[i] = l;
        else acc += l;
      }
      if (!elementwise) out[r] = acc;
    }
  },

  sigmoidCrossEntropy(x, t, rows, cols, smoothing, w, wFull, posWeight, out, elementwise) {
    // The stated form (1 - t')x + c·softplus(-x) cancels for x < 0. With P = max(x, 0), N = max(-x, 0) it is
    //   l = (1 - t')·P + pw·t'·N + c·log1p(exp(-|x|)),  c = 1 + (pw - 1)·t',
    // every term ≥ 0. P = x/2 + |x|/2 and N = |x|/2 - x/2 are exact and branch-free (the sign is unpredictable);
    // an infinite logit makes them NaN, and sigmoidEdge then gives the limit.
    const ta = 1 - smoothing;
    const tb = smoothing / 2;
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      let acc = 0;
      if (w === null && posWeight === null) {
        for (let i = off, end = off + cols; i < end; i++) {
          const v = x[i];
          const a = Math.abs(v);
          const tp = ta * t[i] + tb;
          let l = (1 - tp) * (0.5 * v + 0.5 * a) + tp * (0.5 * a - 0.5 * v) + Math.log1p(Math.exp(-a));
          if (l !== l) l = sigmoidEdge(v, tp, 1);
          if (elementwise) out[i] = l;
          else acc += l;
        }
      } else {
        for (let j = 0, i = off; j < cols; j++, i++) {
          const v = x[i];
          const a = Math.abs(v);
          const tp = ta * t[i] + tb;
          const pw = posWeight === null ? 1 : posWeight[j];
          let l = (1 - tp) * (0.5 * v + 0.5 * a) + pw * tp * (0.5 * a - 0.5 * v) +
            (1 + (pw - 1) * tp) * Math.log1p(Math.exp(-a));
          if (l !== l) l = sigmoidEdge(v, tp, pw);
          if (w !== null) l = weighted(wFull ? w[i] : w[j], l);
          if (elementwise) out[i] = l;
          else acc += l;
        }
      }
      if (!elementwise) out[r] = acc;
    }
  },

  binaryEntropy(p, n, out) {
    for (let i = 0; i < n; i++) {
      const v = p[i];
      let h = 0;
      if (v !== 0) h -= v * Math.log(v);
      if (v !== 1) h -= (1 - v) * Math.log1p(-v); // log1p: exact for small p, where 1 - p rounds
      out[i] = h;
    }
  },

  softmaxEvalLabels(x, rows, cols, labels, topK, nll, above, top, maxP, sumSq, pY) {
    for (let r = 0, off = 0; r < rows; r++, off += cols) {
      const y = labels[r];
      if (y < 0) {
        nll[r] = 0;
        above[r] = 0;
        top[r] = 0;
        maxP[r] = 0;
        sumSq[r] = 0;
        pY[r] = 0;
        continue;
      }
      const end = off + cols;
      const m = rowMax(x, off, cols);
      const zy = x[off + y];
      // One pass: the exp sum exactly as logSumShifted (same blocks, same order), Σ e², the rank, the argmax.
      let k = 0;
      let rest = 0;
      let q = 0;
      let n = 0;
      let t = -1;
      for (let b = off; b < end; b += BLOCK) {
        let part = 0;
        for (let j = b, e = Math.min(b + BLOCK, end); j < e; j++) {
          const z = x[j];
          if (z > zy) n++;
          if (z === m) {
            k++;
            if (t < 0) t = j - off;
          } else {
            const v = Math.exp(z - m); // NaN lands here and poisons the row
            part += v;
            q += v * v;
          }
        }
        rest += part;
      }
      above[r] = Math.min(n, topK);
      top[r] = n > 0 ? t : y;
      if (m === Infinity) {
        nll[r] = NaN; // as softmaxCrossEntropyLabels
        maxP[r] = NaN;
        sumSq[r] = NaN;
        pY[r] = NaN;
        continue;
      }
      const l = Math.log1p(k - 1 + rest);
      const dMax = m === -Infinity ? Infinity : 0;
      nll[r] = (zy === m ? dMax : m - zy) + l;
      const S = k + rest;
      maxP[r] = m === -Infinity ? NaN : Math.exp(-l);
      sumSq[r] = m === -Infinity ? NaN : (k + q) / (S * S);
      pY[r] = Math.exp(-nll[r]);
    }
  },

  ...gradientKernels,
};
