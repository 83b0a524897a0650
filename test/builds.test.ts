// The WebAssembly builds side by side: how init() picks one (relaxed SIMD only where its multiply-adds fuse), the
// options that name one, and the bound between the relaxed-SIMD and SIMD builds' results (README, Accuracy):
// float64 input within 1e-14 relative, float32 within 1e-6 (elementwise float32 outputs, a few float32 ulps) and
// 2e-7 on per-row results. Within a build, the same call gives the same bits every time.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as x from '../src/index.js';
import { WasmKernels } from '../src/backend/wasm.js';
import { AUTO_WASM, RELAXED_MISSING, prng } from './helpers.js';

const module = (f: string) => new WebAssembly.Module(readFileSync(new URL(`../build/${f}`, import.meta.url)));
const SIMD = module('xent.wasm');
const SCALAR = module('xent-scalar.wasm');
const RELAXED = RELAXED_MISSING === null ? module('xent-relaxed.wasm') : null;

/** x86-64 Linux whose CPU has FMA, under V8: relaxed_madd compiles to vfmadd there. */
const FMA_V8 = process.platform === 'linux' && process.arch === 'x64' && !('Bun' in globalThis) &&
  /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

describe('choosing a build', () => {
  it('fusesMultiplyAdd: never on the SIMD and scalar builds; on the relaxed-SIMD build where the runtime fuses', () => {
    expect(new WasmKernels(SIMD).fusesMultiplyAdd()).toBe(false);
    expect(new WasmKernels(SCALAR).fusesMultiplyAdd()).toBe(false);
    if (!RELAXED) return;
    const fused = new WasmKernels(RELAXED).fusesMultiplyAdd();
    expect(fused).toBe(AUTO_WASM === 'wasm-relaxed-simd');
    if (FMA_V8) expect(fused).toBe(true);
  });

  it('init() picks the relaxed-SIMD build where it fuses, else the SIMD build and says why', async () => {
    expect(await x.init()).toBe(AUTO_WASM);
    expect(x.fallbackReason()).toBe(
      AUTO_WASM === 'wasm-relaxed-simd' ? null
        : RELAXED_MISSING ? 'this runtime has no WebAssembly relaxed SIMD: the SIMD build runs'
        : 'relaxed SIMD does not fuse multiply-adds here, so it would be slower: the SIMD build runs',
    );
  });

  it('relaxedSimd: false and simd: true run the SIMD build, relaxedSimd: true the relaxed-SIMD build, with no notice', async () => {
    expect(await x.init({ relaxedSimd: false })).toBe('wasm-simd');
    expect(x.fallbackReason()).toBeNull();
    if (RELAXED) {
      expect(await x.init({ relaxedSimd: true })).toBe('wasm-relaxed-simd');
      expect(x.fallbackReason()).toBeNull();
    } else {
      await expect(x.init({ relaxedSimd: true })).rejects.toMatchObject({ code: 'INTERNAL', message: /no WebAssembly relaxed SIMD/ });
    }
    expect(await x.init({ simd: true })).toBe('wasm-simd');
    expect(x.fallbackReason()).toBeNull();
    await x.init();
  });

  it('bad or contradictory options, and a module that is not the build asked for, are refused', async () => {
    for (const bad of [1, 'yes', null]) {
      await expect(x.init({ relaxedSimd: bad as never })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: /relaxedSimd must be true or false/ });
    }
    await expect(x.init({ simd: false, relaxedSimd: true })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: /relaxedSimd: true contradicts simd: false/ });
    await expect(x.init({ module: SIMD, relaxedSimd: true })).rejects.toMatchObject({ code: 'INTERNAL', message: /runs as wasm-simd/ });
    await expect(x.init({ module: SCALAR, simd: true })).rejects.toMatchObject({ code: 'INTERNAL', message: /runs as wasm$/ });
    await expect(x.init({ module: SIMD, simd: false })).rejects.toMatchObject({ code: 'INTERNAL', message: /runs as wasm-simd/ });
    if (RELAXED) {
      await expect(x.init({ module: RELAXED, relaxedSimd: false })).rejects.toMatchObject({ message: /runs as wasm-relaxed-simd/ });
      await expect(x.init({ module: RELAXED, simd: true })).rejects.toMatchObject({ message: /runs as wasm-relaxed-simd/ });
      expect(await x.init({ module: RELAXED, simd: true, relaxedSimd: true })).toBe('wasm-relaxed-simd');
      expect(await x.init({ module: RELAXED })).toBe('wasm-relaxed-simd');
    }
    expect(await x.init({ module: SIMD })).toBe('wasm-simd');
    await x.init();
  });
});

/**
 * Every function whose kernels use the exp / log helpers, on seeded random batches (narrow and wide rows, logits of
 * scale 1 to 30) in both dtypes: each returns `rows` per-row values, or an elementwise array (`each`).
 */
function workloads(): { name: string; f32: boolean; each: boolean; run: () => unknown }[] {
  const rnd = prng(21);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out: ReturnType<typeof workloads> = [];
  for (const [rows, cols, scale] of [[32, 1000, 3], [2, 50_257, 3], [128, 10, 10], [256, 37, 1], [8, 1000, 30]]) {
    for (const f32 of [true, false]) {
      const C = f32 ? Float32Array : Float64Array;
      const z = C.from({ length: rows * cols }, () => scale * normal());
      const labels = Array.from({ length: rows }, () => Math.floor(rnd() * cols));
      const dist = (v: ArrayLike<number>) => C.from(x.softmax(C.from(v), { classes: cols }) as ArrayLike<number>);
      const p = dist(z), q = dist(z.map((v) => v + normal()));
      const t = C.from({ length: rows * cols }, () => (rnd() < 0.5 ? 1 : 0));
      const add = (name: string, each: boolean, run: () => unknown) =>
        out.push({ name: `${name} ${rows} × ${cols}, scale ${scale}, ${f32 ? 'float32' : 'float64'}`, f32, each, run });
      const opts = { classes: cols, reduction: 'none' } as const;
      add('softmaxCrossEntropy', false, () => x.softmaxCrossEntropy(z, labels, opts));
      add('logSumExp', false, () => x.logSumExp(z, { classes: cols }));
      add('softmax', true, () => x.softmax(z, { classes: cols }));
      add('logSoftmax', true, () => x.logSoftmax(z, { classes: cols }));
      add('sigmoidCrossEntropy', true, () => x.sigmoidCrossEntropy(z, t, { reduction: 'none' }));
      add('klDivergence', false, () => x.klDivergence(p, q, opts));
      add('entropy', false, () => x.entropy(p, opts));
      add('jsDivergence', false, () => x.jsDivergence(p, q, opts));
      add('binaryCrossEntropy', true, () => x.binaryCrossEntropy(p, t, { reduction: 'none' }));
      add('softmaxCrossEntropyWithGrad', true, () => x.softmaxCrossEntropyWithGrad(z, labels, opts).grad);
    }
  }
  return out;
}

const values = (v: unknown) => Float64Array.from(typeof v === 'number' ? [v] : (v as ArrayLike<number>));

describe.skipIf(RELAXED === null)('relaxed-SIMD build against the SIMD build', () => {
  it('float64: within 1e-14 relative; float32: within 1e-6 elementwise and 2e-7 per row', async () => {
    const cases = workloads();
    const on = async (m: WebAssembly.Module) => {
      await x.init({ module: m });
      return cases.map((c) => values(c.run()));
    };
    const simd = await on(SIMD), relaxed = await on(RELAXED!);
    const worst = { float64: 0, 'float32 elementwise': 0, 'float32 per row': 0 };
    cases.forEach((c, i) => {
      const bound = !c.f32 ? 1e-14 : c.each ? 1e-6 : 2e-7;
      const key = !c.f32 ? 'float64' : c.each ? 'float32 elementwise' : 'float32 per row';
      expect(relaxed[i].length).toBe(simd[i].length);
      for (let j = 0; j < simd[i].length; j++) {
        const a = simd[i][j], b = relaxed[i][j];
        // Values below 1e-30 (far tails of a softmax) are compared absolutely: their relative error is the exp's.
        const d = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), 1e-30);
        worst[key] = Math.max(worst[key], d);
        if (!(d <= bound)) expect.fail(`${c.name}[${j}]: SIMD ${a}, relaxed SIMD ${b}: ${d.toExponential(2)} > ${bound}`);
      }
    });
    console.log(`largest relative difference between the builds: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
    await x.init();
  });

  it('within each build, the same call gives the same bits every time (and after calls on other data)', async () => {
    const cases = workloads().filter((_, i) => i % 3 === 0);
    for (const m of [SIMD, RELAXED!, SCALAR]) {
      await x.init({ module: m });
      const first = cases.map((c) => values(c.run()));
      const again = [...cases].reverse().map((c) => values(c.run())).reverse();
      cases.forEach((c, i) => expect(Buffer.from(again[i].buffer).equals(Buffer.from(first[i].buffer)), c.name).toBe(true));
    }
    await x.init();
  });
});
