// Loss-and-gradient kernels (see the gradient methods in src/backend/kernels.ts) and the softmax / log-softmax
// backward passes. They share the row max and NaN scan of softmax.ts, and the math and lane helpers.
//
// Softmax rows take three passes: the max; one pass that sums the exps (float64 lanes, the ones at the max counted
// apart as in softmax.ts so that log1p((k - 1) + rest) keeps a confident row's tiny loss) and stores
// e_j = exp((x_j - X)·s) into grad; one pass that scales grad in place to scale·(C·e_j / S - c_j). The softmax is
// formed in the gradient buffer, which is written anyway: no separate softmax pass. With a single maximum a the
// cancelling C·p_a - c_a is rewritten ((C - c_a) - c_a·rest) / S (C - c_a is exact when c_a >= C / 2, Sterbenz).

import { exp64, expNeg2d, log1p64 } from './math';
import { hsum4, EXP2_CONSTS, exp2NegK, LOG2E_F32 } from './math32';
import { at, get, put, ld2, st2, hsum2, coef2, coef, BLOCK } from './lanes';
import { endHints, foundNext, hintNext, rowMax, rowHasNaN, logFromSum, takeHint } from './softmax';
import { sigmoidCrossEntropy } from './binary';

/** 2^-126, what exp2NegK gives for arguments at or below its clamp. */
const TINY = reinterpret<f32>(0x00800000);

/**
 * Float32 rows: stores e_j - 2^-126 into g, e_j = exp((x_j - X)·s) formed exactly as expSum32 (softmax.ts) forms
 * it, and returns S = Σ_j e_j with expSum32's terms, lane sums and block flushes: the same bits, so logFromSum gives
 * the loss kernel's value. exp2NegK clamps at 2^-126, so a masked or far-below-the-max logit stores exactly 0:
 * a zero gradient, and no subnormal operand for the scale pass (a multiply producing one is slow on x86).
 */
function expStore32(p: usize, g: usize, cols: i32, X: f64, s: f64): f64 {
  let Xv = f32x4.splat(<f32>X), c = f32x4.splat(s == 1 ? LOG2E_F32 : <f32>(s * 1.4426950408889634));
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let tiny = f32x4.splat(TINY);
  let sum: f64 = 0;
  let j = 0;
  let n32 = cols & ~31; // the elements expSum32 takes 32 at a time, in the same blocks
  // The next row's max along, as expSum32 finds it (see softmax.ts).
  let pn = takeHint(p);
  let na = f32x4.splat(-Infinity), nb = na;
  while (j < n32) {
    let end = min(n32, j + 128);
    let a0 = f32x4.splat(0), a1 = a0;
    for (; j < end; j += 32) {
      let o = <usize>j << 2;
      let q = p + o, h = g + o, qn = pn + o;
      na = f32x4.pmax(f32x4.pmax(na, v128.load(qn)), f32x4.pmax(v128.load(qn, 16), v128.load(qn, 32)));
      nb = f32x4.pmax(f32x4.pmax(nb, v128.load(qn, 48)), f32x4.pmax(v128.load(qn, 64), v128.load(qn, 80)));
      na = f32x4.pmax(na, f32x4.pmax(v128.load(qn, 96), v128.load(qn, 112)));
      let e0 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      let e1 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 16), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      v128.store(h, f32x4.sub(e0, tiny)); v128.store(h, f32x4.sub(e1, tiny), 16);
      a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1);
      e0 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 32), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      e1 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 48), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      v128.store(h, f32x4.sub(e0, tiny), 32); v128.store(h, f32x4.sub(e1, tiny), 48);
      a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1);
      e0 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 64), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      e1 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 80), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      v128.store(h, f32x4.sub(e0, tiny), 64); v128.store(h, f32x4.sub(e1, tiny), 80);
      a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1);
      e0 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 96), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      e1 = exp2NegK(f32x4.mul(f32x4.sub(v128.load(q, 112), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      v128.store(h, f32x4.sub(e0, tiny), 96); v128.store(h, f32x4.sub(e1, tiny), 112);
      a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1);
    }
    sum += hsum4(a0) + hsum4(a1);
  }
  foundNext(p, pn, cols, j, na, nb);
  if (j + 4 <= cols) {
    let a0 = f32x4.splat(0);
    for (; j + 4 <= cols; j += 4) {
      let o = <usize>j << 2;
      let e = exp2NegK(f32x4.mul(f32x4.sub(v128.load(p + o), Xv), c), lo, sh, c5, c4, c3, c2, c1, one);
      v128.store(g + o, f32x4.sub(e, tiny));
      a0 = f32x4.add(a0, e);
    }
    sum += hsum4(a0);
  }
  for (; j < cols; j++) {
    let e = exp64((<f64>load<f32>(p + (<usize>j << 2)) - X) * s);
    store<f32>(g + (<usize>j << 2), <f32>e);
    sum += e;
  }
  return sum;
}

/** Results of expPass. */
let gK: i32 = 0;
let gRest: f64 = 0;
/** First index j with x_j = X (found during the pass, before g is written: g may be x itself). */
let gArg: i32 = -1;
/** Σ_j c_j·(X - x_j) and Σ_j c_j of expPass (c_j = w_j, or w_j·(a1·t_j + a0) with targets). */
let gA: f64 = 0;
let gC: f64 = 0;

/**
 * Stores e_j = exp((x_j - X)·s) into g and sets gK, gRest; with `mode` 1 also gA = Σ w_j (X - x_j), gC = Σ w_j
 * (w = 1 when 0); with mode 2 the same for c_j = w_j·(a1·t_j + a0). Zero coefficients contribute 0 at masked logits.
 */
function expPass<T>(p: usize, tp: usize, g: usize, cols: i32, X: f64, s: f64, mode: i32, w: usize, a1: f64, a0: f64): void {
  let rest: f64 = 0, A: f64 = 0, C: f64 = 0;
  let k: i64 = 0;
  let j = 0;
  gArg = -1;
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
    j = cols & ~3;
    expPass32(p, tp, g, j, X, s, mode, w, a1, a0);
    k = gK; rest = gRest; A = gA; C = gC;
  } else if (ASC_FEATURE_SIMD) {
    let Xv = f64x2.splat(X), sv = f64x2.splat(s), one = f64x2.splat(1), zero = f64x2.splat(0);
    let va1 = f64x2.splat(a1), va0 = f64x2.splat(a0);
    let cnt = i64x2.splat(0);
    while (j + 2 <= cols) {
      let end = min(cols, j + BLOCK);
      let accE = zero, accA = zero, accC = zero;
      for (; j + 2 <= end; j += 2) {
        let xv = ld2<T>(p, j);
        let d = f64x2.mul(f64x2.sub(xv, Xv), sv);
        let z = f64x2.eq(d, zero);
        if (gArg < 0 && v128.any_true(z)) gArg = j + (f64x2.extract_lane(d, 0) == 0 ? 0 : 1);
        let e = expNeg2d(d);
        accE = f64x2.add(accE, v128.andnot(e, z));
        cnt = i64x2.add(cnt, z);
        st2<T>(g, j, v128.bitselect(one, e, z));
        if (mode != 0) {
          let c = w ? ld2<T>(w, j) : one;
          if (mode == 2) c = f64x2.mul(c, f64x2.add(f64x2.mul(va1, ld2<T>(tp, j)), va0));
          accA = f64x2.add(accA, coef2(c, f64x2.sub(Xv, xv)));
          accC = f64x2.add(accC, c);
        }
      }
      rest += hsum2(accE); A += hsum2(accA); C += hsum2(accC);
    }
    k = -(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
  }
  // The scalar build sums whole blocks from zero, as the lanes do, so that it sums long rows as accurately (2^20
  // classes drifted past 1e-13); in the SIMD build this is the tail of at most one element.
  while (j < cols) {
    let end = ASC_FEATURE_SIMD ? cols : min(cols, j + BLOCK);
    let rest0: f64 = 0, A0: f64 = 0, C0: f64 = 0;
    if (!ASC_FEATURE_SIMD) {
      rest0 = rest; A0 = A; C0 = C;
      rest = 0; A = 0; C = 0;
    }
    for (; j < end; j++) {
      let xj = get<T>(p, j);
      let d = (xj - X) * s;
      if (d == 0) { if (gArg < 0) gArg = j; k++; put<T>(g, j, 1); } else { let e = exp64(d); rest += e; put<T>(g, j, e); }
      if (mode != 0) {
        let c = w ? get<T>(w, j) : 1.0;
        if (mode == 2) c *= a1 * get<T>(tp, j) + a0;
        A += coef(c, X - xj);
        C += c;
      }
    }
    if (!ASC_FEATURE_SIMD) {
      rest += rest0; A += A0; C += C0;
    }
  }
  // expNeg2d flushes below 2^-1022, and float32 lanes carry ~3e-7 relative per term: a rest that small is the whole
  // loss of a near-certain row, so redo it in float64 with the full-range exp (as expRest in softmax.ts).
  if (k == 1 && rest < (sizeof<T>() == 4 ? 0.01 : 1e-290)) {
    rest = 0;
    for (let i = 0; i < cols; i++) {
      let d = (get<T>(p, i) - X) * s;
      if (d != 0) rest += exp64(d);
    }
  }
  gK = <i32>k; gRest = rest; gA = A; gC = C;
}

/**
 * Float32 rows, elements [0, n4): e_j = 2^((x_j - X)·s·log2 e) in f32x4 lanes (exp2NegK, <= 2.2e-7 relative, plus
 * the float32 rounding of the argument; masked logits give exactly 0), stored as float32; lane sums over 64-element
 * blocks flushed into float64. gA and gC (mode != 0) are accumulated in float64 from promoted lanes. Sets gK, gRest,
 * gA, gC for those elements; the caller adds the tail.
 */
function expPass32(p: usize, tp: usize, g: usize, n4: i32, X: f64, s: f64, mode: i32, w: usize, a1: f64, a0: f64): void {
  let Xv = f32x4.splat(<f32>X), cv = f32x4.splat(<f32>(s * 1.4426950408889634)); // s·log2 e
  const K = EXP2_CONSTS;
  let lo = v128.load(K), sh = v128.load(K, 16), c5 = v128.load(K, 32), c4 = v128.load(K, 48);
  let c3 = v128.load(K, 64), c2 = v128.load(K, 80), c1 = v128.load(K, 96), one = v128.load(K, 112);
  let zero = f32x4.splat(0);
  let Xd = f64x2.splat(X), va1 = f64x2.splat(a1), va0 = f64x2.splat(a0), oned = f64x2.splat(1);
  let rest: f64 = 0, A: f64 = 0, C: f64 = 0;
  let cnt = i32x4.splat(0);
  let j = 0;
  while (j < n4) {
    let end = min(n4, j + 64);
    let aS = zero;
    let accA = f64x2.splat(0), accC = accA;
    for (; j < end; j += 4) {
      let o = <usize>j << 2;
      let xv = v128.load(p + o);
      let d = f32x4.sub(xv, Xv);
      let z = f32x4.eq(d, zero);
      if (v128.any_true(z) && gArg < 0) gArg = j + firstLane(z);
      let t = f32x4.mul(d, cv);
      // At or below exp2NegK's clamp (masked logits among them) e is 0, not 2^-126: an exact zero gradient.
      let e = v128.andnot(exp2NegK(t, lo, sh, c5, c4, c3, c2, c1, one), v128.or(z, f32x4.le(t, lo)));
      aS = f32x4.add(aS, e);
      cnt = i32x4.add(cnt, z);
      v128.store(g + o, v128.bitselect(one, e, z));
      if (mode != 0) {
        for (let h = 0; h < 4; h += 2) {
          let c = w ? ld2<f32>(w, j + h) : oned;
          if (mode == 2) c = f64x2.mul(c, f64x2.add(f64x2.mul(va1, ld2<f32>(tp, j + h)), va0));
          accA = f64x2.add(accA, coef2(c, f64x2.sub(Xd, ld2<f32>(p, j + h))));
          accC = f64x2.add(accC, c);
        }
      }
    }
    rest += hsum4(aS); A += hsum2(accA); C += hsum2(accC);
  }
  gK = -(i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3));
  gRest = rest; gA = A; gC = C;
}

function firstLane(z: v128): i32 {
  if (i32x4.extract_lane(z, 0) != 0) return 0;
  if (i32x4.extract_lane(z, 1) != 0) return 1;
  return i32x4.extract_lane(z, 2) != 0 ? 2 : 3;
}

/** scalePass for float32 rows in f32x4 lanes, elements [0, n4). */
function scalePass32(g: usize, tp: usize, n4: i32, alpha: f64, beta: f64, mode: i32, w: usize, a1: f64, a0: f64): void {
  let av = f32x4.splat(<f32>alpha), bv = f32x4.splat(<f32>beta), one = f32x4.splat(1);
  let va1 = f32x4.splat(<f32>a1), va0 = f32x4.splat(<f32>a0);
  for (let j = 0; j < n4; j += 4) {
    let o = <usize>j << 2;
    let c = w ? v128.load(w + o) : one;
    if (mode == 2) c = f32x4.mul(c, f32x4.add(f32x4.mul(va1, v128.load(tp + o)), va0));
    v128.store(g + o, f32x4.sub(f32x4.mul(av, v128.load(g + o)), f32x4.mul(bv, c)));
  }
}

/**
 * grad_j = alpha·e_j - beta·c_j in place, c_j = w_j (mode 1; 1 when w = 0) or w_j·(a1·t_j + a0) (mode 2).
 */
function scalePass<T>(g: usize, tp: usize, cols: i32, alpha: f64, beta: f64, mode: i32, w: usize, a1: f64, a0: f64): void {
  let j = 0;
  if (ASC_FEATURE_SIMD && sizeof<T>() == 4) {
    j = cols & ~3;
    scalePass32(g, tp, j, alpha, beta, mode, w, a1, a0);
  } else if (ASC_FEATURE_SIMD) {
    let av = f64x2.splat(alpha), bv = f64x2.splat(beta), one = f64x2.splat(1);
    let va1 = f64x2.splat(a1), va0 = f64x2.splat(a0);
    for (; j + 2 <= cols; j += 2) {
      let c = w ? ld2<T>(w, j) : one;
      if (mode == 2) c = f64x2.mul(c, f64x2.add(f64x2.mul(va1, ld2<T>(tp, j)), va0));
      st2<T>(g, j, f64x2.sub(f64x2.mul(av, ld2<T>(g, j)), f64x2.mul(bv, c)));
    }
  }
  for (; j < cols; j++) {
    let c = w ? get<T>(w, j) : 1.0;
    if (mode == 2) c *= a1 * get<T>(tp, j) + a0;
    put<T>(g, j, alpha * get<T>(g, j) - beta * c);
  }
}

function fill<T>(g: usize, cols: i32, v: f64): void {
  for (let j = 0; j < cols; j++) put<T>(g, j, v);
}

export function softmaxCrossEntropyLabelsGrad<T>(
  x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, eps: f64, scale: usize,
  nll: usize, smooth: usize, grad: usize,
): void {
  let a = 1 - eps, b = eps / <f64>cols;
  let W: f64 = <f64>cols;
  if (w) {
    W = 0;
    for (let j = 0; j < cols; j++) W += get<T>(w, j);
  }
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3;
    let p = at<T>(x, r * cols), g = at<T>(grad, r * cols);
    let y = load<i32>(labels + (<usize>r << 2));
    hintNext<T>(x, r, rows, cols);
    if (y < 0) {
      store<f64>(nll + o, 0);
      if (smooth) store<f64>(smooth + o, 0);
      fill<T>(g, cols, 0);
      continue;
    }
    let X = rowMax<T>(p, cols);
    let xy = get<T>(p, y); // read before the pass: grad may be x itself
    if (s * X == -Infinity) {
      // Every logit masked: each term with a nonzero coefficient is +Infinity (the API rejects the row).
      let bad = rowHasNaN<T>(p, cols);
      store<f64>(nll + o, bad ? NaN : Infinity);
      if (smooth) store<f64>(smooth + o, bad ? NaN : Infinity);
      fill<T>(g, cols, NaN);
      continue;
    }
    let S: f64 = 0;
    if (ASC_FEATURE_SIMD && sizeof<T>() == 4 && eps == 0 && p != g) {
      // Float32 fast path: one pass storing the exps and their sum exactly as the loss kernel forms it. Rows it
      // does not serve (NaN / infinite sums; S < 1.0099, a single maximum holding > 99%, whose gradient at the
      // argmax needs the exact rest) take the general passes below, which overwrite g.
      S = expStore32(p, g, cols, X, s);
      if (S < Infinity && S >= 1.0099) {
        let lg = logFromSum<T>(S, p, cols, X, s, !(s * xy > -Infinity) ? 0 : s * (X - xy));
        store<f64>(nll + o, s * xy == -Infinity ? (isNaN(lg) ? lg : Infinity) : s * (X - xy) + lg);
        let sc = load<f64>(scale + o); // sc = 0 gives exact zeros below (the e_j are finite)
        let wy = w ? get<T>(w, y) : 1.0;
        // No smoothing here (b = 0), so every class's coefficient but y's is 0: grad_j = sc·(wy / S)·e_j, and
        // y's coefficient is taken off after.
        let al = sc * (a * wy) / S;
        let av = f32x4.splat(<f32>al);
        let q = g, e = g + (<usize>(cols & ~3) << 2);
        for (; q + 64 <= e; q += 64) {
          v128.store(q, f32x4.mul(av, v128.load(q)));
          v128.store(q, f32x4.mul(av, v128.load(q, 16)), 16);
          v128.store(q, f32x4.mul(av, v128.load(q, 32)), 32);
          v128.store(q, f32x4.mul(av, v128.load(q, 48)), 48);
        }
        for (; q < e; q += 16) v128.store(q, f32x4.mul(av, v128.load(q)));
        for (let t = cols & ~3; t < cols; t++) put<T>(g, t, al * get<T>(g, t));
        put<T>(g, y, get<T>(g, y) - sc * a * wy);
        continue;
      }
    }
    expPass<T>(p, 0, g, cols, X, s, smooth ? 1 : 0, w, 0, 0);
    let ja = gArg;
    let k = gK, rest = gRest;
    let lg = log1p64(<f64>(k - 1) + rest);
    let loss = s * xy == -Infinity ? (isNaN(lg) ? lg : Infinity) : s * (X - xy) + lg;
    store<f64>(nll + o, loss);
    if (smooth) store<f64>(smooth + o, s * gA + gC * lg);
    let sc = load<f64>(scale + o);
    if (sc == 0) {
      fill<T>(g, cols, 0);
      continue;
    }
    S = <f64>k + rest;
    let wy = w ? get<T>(w, y) : 1.0;
    let A = a * wy + b * W;
    scalePass<T>(g, 0, cols, sc * A / S, sc * b, 1, w, 0, 0);
    put<T>(g, y, get<T>(g, y) - sc * a * wy);
    if (k == 1) {
      let ca = b * (w ? get<T>(w, ja) : 1.0) + (ja == y ? a * wy : 0);
      put<T>(g, ja, sc * ((A - ca - ca * rest) / S));
    }
  }
  endHints();
}

export function softmaxCrossEntropyDenseGrad<T>(
  x: usize, t: usize, rows: i32, cols: i32, s: f64, eps: f64, w: usize, scale: usize, out: usize, grad: usize,
): void {
  let a1 = 1 - eps, a0 = eps / <f64>cols;
  for (let r = 0; r < rows; r++) {
    let o = <usize>r << 3;
    let p = at<T>(x, r * cols), tp = at<T>(t, r * cols), g = at<T>(grad, r * cols);
    let X = rowMax<T>(p, cols);
    if (s * X == -Infinity) {
      let C: f64 = 0;
      for (let j = 0; j < cols; j++) C += (w ? get<T>(w, j) : 1.0) * (a1 * get<T>(tp, j) + a0);
      store<f64>(out + o, rowHasNaN<T>(p, cols) ? NaN : (C > 0 ? Infinity : C * 0));
      fill<T>(g, cols, NaN);
      continue;
    }
    expPass<T>(p, tp, g, cols, X, s, 2, w, a1, a0);
    let k = gK, rest = gRest, C = gC, ja = gArg;
    store<f64>(out + o, s * gA + C * log1p64(<f64>(k - 1) + rest));
    let sc = load<f64>(scale + o);
    if (sc == 0) {
      fill<T>(g, cols, 0);
      continue;
    }
    let S = <f64>k + rest;
    scalePass<T>(g, tp, cols, sc * C / S, sc, 2, w, a1, a0);
    if (k == 1) {
      let ca = (w ? get<T>(w, ja) : 1.0) * (a1 * get<T>(tp, ja) + a0);
      put<T>(g, ja, sc * ((C - ca - ca * rest) / S));
    }
  }
}

/**
 * Loss as sigmoidCrossEntropy (the stable (1 - t')·max(x, 0) + pw·t'·max(-x, 0) + c·log1p(exp(-|x|))) and gradient
 * c·σ(x) - pw·t' over the common denominator 1 + e: ((1 - t') - pw·t'·e) / (1 + e) for x >= 0 (e = exp(-x)),
 * ((1 - t')·e - pw·t') / (1 + e) for x < 0 (e = exp(x)): a confident correct logit keeps its tiny gradient.
 */
export function sigmoidCrossEntropyGrad<T>(
  x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: bool, posWeight: usize, scale: usize,
  out: usize, elementwise: bool, grad: usize,
): void {
  // The loss kernel (binary.ts) writes the gradient as it goes: f32x4 lanes for float32 rows in the SIMD build,
  // f64x2 lanes or scalar float64 otherwise. Rows of scale 0 get an exact zero gradient here (the float32 lanes
  // zero only the elements whose weight is 0).
  sigmoidCrossEntropy<T>(x, t, rows, cols, smoothing, w, wFull, posWeight, out, elementwise, grad, scale);
  for (let r = 0; r < rows; r++) {
    if (load<f64>(scale + (<usize>r << 3)) == 0) memory.fill(at<T>(grad, r * cols), 0, <usize>cols * sizeof<T>());
  }
}

/** out_j = s·y_j·(dy_j - Σ_k y_k dy_k). */
export function softmaxBackward<T>(y: usize, dy: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let yp = at<T>(y, r * cols), dp = at<T>(dy, r * cols), op = at<T>(out, r * cols);
    let d: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = f64x2.splat(0);
      for (; j + 2 <= cols; j += 2) acc = f64x2.add(acc, f64x2.mul(ld2<T>(yp, j), ld2<T>(dp, j)));
      d = hsum2(acc);
    }
    for (; j < cols; j++) d += get<T>(yp, j) * get<T>(dp, j);
    j = 0;
    if (ASC_FEATURE_SIMD) {
      let dv = f64x2.splat(d), sv = f64x2.splat(s);
      for (; j + 2 <= cols; j += 2) {
        st2<T>(op, j, f64x2.mul(sv, f64x2.mul(ld2<T>(yp, j), f64x2.sub(ld2<T>(dp, j), dv))));
      }
    }
    for (; j < cols; j++) put<T>(op, j, s * get<T>(yp, j) * (get<T>(dp, j) - d));
  }
}

/** out_j = s·(dy_j - exp(y_j)·Σ_k dy_k). */
export function logSoftmaxBackward<T>(y: usize, dy: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  for (let r = 0; r < rows; r++) {
    let yp = at<T>(y, r * cols), dp = at<T>(dy, r * cols), op = at<T>(out, r * cols);
    let d: f64 = 0;
    for (let j = 0; j < cols; j++) d += get<T>(dp, j);
    for (let j = 0; j < cols; j++) put<T>(op, j, s * (get<T>(dp, j) - exp64(get<T>(yp, j)) * d));
  }
}

export function softmaxCrossEntropyLabelsGrad_f32(x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, eps: f64, scale: usize, nll: usize, smooth: usize, grad: usize): void {
  softmaxCrossEntropyLabelsGrad<f32>(x, rows, cols, s, labels, w, eps, scale, nll, smooth, grad);
}

export function softmaxCrossEntropyLabelsGrad_f64(x: usize, rows: i32, cols: i32, s: f64, labels: usize, w: usize, eps: f64, scale: usize, nll: usize, smooth: usize, grad: usize): void {
  softmaxCrossEntropyLabelsGrad<f64>(x, rows, cols, s, labels, w, eps, scale, nll, smooth, grad);
}

export function softmaxCrossEntropyDenseGrad_f32(x: usize, t: usize, rows: i32, cols: i32, s: f64, eps: f64, w: usize, scale: usize, out: usize, grad: usize): void {
  softmaxCrossEntropyDenseGrad<f32>(x, t, rows, cols, s, eps, w, scale, out, grad);
}

export function softmaxCrossEntropyDenseGrad_f64(x: usize, t: usize, rows: i32, cols: i32, s: f64, eps: f64, w: usize, scale: usize, out: usize, grad: usize): void {
  softmaxCrossEntropyDenseGrad<f64>(x, t, rows, cols, s, eps, w, scale, out, grad);
}

export function sigmoidCrossEntropyGrad_f32(x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: i32, posWeight: usize, scale: usize, out: usize, elementwise: i32, grad: usize): void {
  sigmoidCrossEntropyGrad<f32>(x, t, rows, cols, smoothing, w, wFull != 0, posWeight, scale, out, elementwise != 0, grad);
}

export function sigmoidCrossEntropyGrad_f64(x: usize, t: usize, rows: i32, cols: i32, smoothing: f64, w: usize, wFull: i32, posWeight: usize, scale: usize, out: usize, elementwise: i32, grad: usize): void {
  sigmoidCrossEntropyGrad<f64>(x, t, rows, cols, smoothing, w, wFull != 0, posWeight, scale, out, elementwise != 0, grad);
}

export function softmaxBackward_f32(y: usize, dy: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  softmaxBackward<f32>(y, dy, rows, cols, s, out);
}

export function softmaxBackward_f64(y: usize, dy: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  softmaxBackward<f64>(y, dy, rows, cols, s, out);
}

export function logSoftmaxBackward_f32(y: usize, dy: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  logSoftmaxBackward<f32>(y, dy, rows, cols, s, out);
}

export function logSoftmaxBackward_f64(y: usize, dy: usize, rows: i32, cols: i32, s: f64, out: usize): void {
  logSoftmaxBackward<f64>(y, dy, rows, cols, s, out);
}
