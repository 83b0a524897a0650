/**
 * xent/parallel in Node: a Pool's softmaxCrossEntropy must equal the one-thread call bit for bit (every reduction,
 * both float types, plain logits, logits in a SharedArrayBuffer and in the pool's shared wasm memory (allocate()),
 * 1 to 3 workers, ignored rows, base and temperature, each backend the pool can run), reject bad input with the
 * one-thread call's XentError, and shut down cleanly. Runs the built
 * entries (dist/parallel.js and its workers' script; npm run build first).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logitBits } from './half-data.js';
import { prng } from './helpers.js';

const DIST = new URL('../dist/index.js', import.meta.url).href;
const PARALLEL = new URL('../dist/parallel.js', import.meta.url).href;

type Lib = typeof import('../src/index.js');
type Par = typeof import('../src/parallel/index.js');
let xent: Lib;
let par: Par;

beforeAll(async () => {
  xent = await import(/* @vite-ignore */ DIST);
  par = await import(/* @vite-ignore */ PARALLEL);
});

/** rows × cols logits in [-8, 8] (plain or in a SharedArrayBuffer) and labels, some ignored (-100). */
function batch(rows: number, cols: number, seed: number, f32: boolean, shared: boolean) {
  const rand = prng(seed);
  const x = shared ? par.sharedArray(rows * cols, f32 ? 'float32' : 'float64') : new (f32 ? Float32Array : Float64Array)(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = 16 * rand() - 8;
  const labels = Int32Array.from({ length: rows }, (_, r) => (r % 7 === 3 ? -100 : Math.floor(rand() * cols)));
  return { x, labels };
}

type Pool = import('../src/parallel/index.js').Pool;

/** A copy of `a` in the pool's allocate() array (its shared wasm memory where pool.inPlace), and that array. */
function inPool(pool: Pool, a: Float32Array | Float64Array) {
  const w = pool.allocate(a instanceof Float32Array ? 'float32' : 'float64', a.length);
  w.view().set(a);
  return w;
}

const bits = (v: number | Float64Array) => (typeof v === 'number' ? [v] : Array.from(v)).map((n) => Object.is(n, -0) ? '-0' : String(n));

// The default (relaxed SIMD where the runtime fuses multiply-adds), the SIMD build, the scalar build, TypeScript.
const BACKENDS = [{}, { relaxedSimd: false }, { backend: 'wasm', simd: false }, { backend: 'js' }] as const;

it('the test data tells the backends apart (a pool running another backend than the one in use would fail)', async () => {
  const { x, labels } = batch(37, 1000, 1037, true, false);
  const seen = new Set<string>();
  const names = new Set<string>();
  for (const init of BACKENDS) {
    names.add(await xent.init(init));
    seen.add(bits(xent.softmaxCrossEntropy(x, labels, { classes: 1000, reduction: 'none', ignoreIndex: -100 }) as Float64Array).join());
  }
  expect(seen.size).toBe(names.size);
  expect(names.size).toBeGreaterThanOrEqual(3);
});

for (const init of BACKENDS) {
  describe(`Pool on ${JSON.stringify(init)}`, () => {
    // pools: 1, 2 and 3 workers; 1 and 2 workers with the calling thread.
    const pools: Pool[] = [];
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.close()));
    });

    it('equals the one-thread call bit for bit, for 1, 2 and 3 workers', async () => {
      // The pools are created after init() with no init option of their own: they keep the backend in use.
      await xent.init(init);
      for (const workers of [1, 2, 3]) pools.push(await par.createPool({ workers }));
      // The calling thread as one more thread: with one worker, and with two.
      for (const workers of [1, 2]) pools.push(await par.createPool({ workers, caller: true }));
      // The shared-memory kernels are built for the SIMD and relaxed-SIMD backends; the others copy allocate()'s arrays.
      const simd = !('backend' in init);
      for (const pool of pools) expect(pool.inPlace).toBe(simd);
      for (const f32 of [true, false]) {
        for (const shared of [false, true, 'inPlace' as const]) {
          // 37 rows: blocks of unequal size; 1 row: fewer rows than workers.
          for (const [rows, cols] of [[37, 1000], [1, 5000], [4, 70_000]]) {
            const { x, labels } = batch(rows, cols, rows + cols, f32, shared === true);
            for (const options of [
              { classes: cols, ignoreIndex: -100 }, { classes: cols, reduction: 'sum' as const, ignoreIndex: -100 },
              { classes: cols, reduction: 'none' as const, ignoreIndex: -100 },
              { classes: cols, base: 2, temperature: 0.7, ignoreIndex: -100 },
              { classes: cols, reduction: 'none' as const, base: 2, ignoreIndex: -100 },
            ]) {
              const want = xent.softmaxCrossEntropy(x, labels, options) as number | Float64Array;
              for (const pool of pools) {
                const w = shared === 'inPlace' ? inPool(pool, x) : null;
                expect(w?.resident ?? simd).toBe(simd);
                const got = await pool.softmaxCrossEntropy(w?.view() ?? x, labels, options);
                w?.free();
                expect(bits(got), `${pool.workers} workers, ${shared}, ${JSON.stringify(options)}`).toEqual(bits(want));
              }
            }
          }
        }
      }
      // Every row ignored: the one-thread call's empty mean (NaN).
      const { x } = batch(3, 10, 1, true, false);
      const all = new Int32Array(3).fill(-100);
      expect(await pools[1].softmaxCrossEntropy(x, all, { classes: 10, ignoreIndex: -100 })).toBeNaN();
      expect(xent.softmaxCrossEntropy(x, all, { classes: 10, ignoreIndex: -100 })).toBeNaN();
    });

    it('bad input rejects with the XentError of the one-thread call', async () => {
      // Two workers, and one worker beside the calling thread: an error in the caller's block or in a worker's.
      for (const pool of [pools[1], pools[3]]) await badInput(pool);
    });
  });
}

/** Each bad input, plain, in a SharedArrayBuffer and in the pool's memory, rejects as the one-thread call throws. */
async function badInput(pool: Pool) {
  const { x, labels: some } = batch(20, 50, 9, true, false);
  const labels = some.map((v) => (v < 0 ? 1 : v));
  const cases: [Float32Array, ArrayLike<number>, object][] = [
    [x.map((v, i) => (i === 17 * 50 + 3 ? NaN : v)), labels, { classes: 50 }], // NaN in the second block
    [x, labels.map((v, i) => (i === 15 ? 50 : v)), { classes: 50 }], // label out of range
    [x, labels.map((v, i) => (i === 2 ? -3 : v)), { classes: 50 }],
    [x, Array.from(labels, (v, i) => (i === 12 ? 2.5 : v)), { classes: 50 }], // not an integer
    [x, Array.from(labels, (v, i) => (i === 13 ? 2 ** 32 + 1 : v)), { classes: 50 }],
    [x, labels.subarray(1), { classes: 50 }], // shape
    [x, labels, { classes: 7 }],
    [x, labels, { classes: 50, weight: [1] }], // an option the pool does not take
    [x, labels, { classes: 50, reduction: 'batchmean' }],
    [x, labels, { classes: 50, base: -1 }],
    [x.map((v, i) => (i === 19 * 50 ? Infinity : v)), labels, { classes: 50 }],
    [x, labels, { classes: 50, temperature: 0 }],
    [x, labels, { classes: 50, ignoreIndex: 0.5 }],
  ];
  const inShared = (a: Float32Array) => {
    const c = par.sharedArray(a.length) as Float32Array;
    c.set(a);
    return c;
  };
  for (const [plain, ys, o] of cases) for (const xs of [plain, inShared(plain), inPool(pool, plain).view()]) {
    let want: unknown;
    try {
      xent.softmaxCrossEntropy(xs, ys as Int32Array, o as { classes: number });
    } catch (e) {
      want = e;
    }
    let got: unknown;
    try {
      await pool.softmaxCrossEntropy(xs, ys, o as { classes: number });
    } catch (e) {
      got = e;
    }
    // Some of these the one-thread call takes (unknown options are its own to refuse): then so must the pool.
    if (want === undefined) {
      expect((got as Error)?.message).toMatch(/has no option/);
      continue;
    }
    // The main entry's own class: xent/parallel imports it (no second copy of the library).
    expect(got, JSON.stringify(o)).toBeInstanceOf(xent.XentError);
    expect(Object.getPrototypeOf(got)).toBe(xent.XentError.prototype);
    expect((got as { code: string }).code).toBe((want as { code: string }).code);
    expect((got as Error).message).toBe((want as Error).message);
  }
}

describe('Pool lifecycle', () => {
  it('bad pool options, calls after close and a close during a call', async () => {
    expect(Object.hasOwn(xent.XentError, Symbol.hasInstance)).toBe(false);
    const refused = await par.createPool({ workers: 0 }).catch((e: unknown) => e);
    expect(Object.getPrototypeOf(refused)).toBe(xent.XentError.prototype);
    for (const workers of [0, 1.5, -1, 1000]) {
      await expect(par.createPool({ workers })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('workers') });
    }
    await expect(par.createPool({ threads: 2 } as object)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(par.createPool({ caller: 1 } as object)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('caller') });
    expect(() => par.sharedArray(-1)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    // Logits shared and plain (blocks copied and handed out as the workers ask), with and without the caller, and
    // in the pool's shared wasm memory.
    for (const [shared, caller] of [[true, false], [false, false], [false, true], ['inPlace', false], ['inPlace', true]]) {
      const pool = await par.createPool({ workers: 2, caller: caller as boolean });
      const data = batch(64, 20_000, 3, true, shared === true);
      const labels = data.labels;
      const x = shared === 'inPlace' ? inPool(pool, data.x).view() : data.x;
      const options = { classes: 20_000, ignoreIndex: -100 };
      const running = expect(pool.softmaxCrossEntropy(x, labels, options)).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await pool.close();
      await running;
      await expect(pool.softmaxCrossEntropy(x, labels, options)).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await pool.close(); // twice is harmless
    }
  });

  it('an idle pool that was never closed does not keep Node running', () => {
    const code = `import { createPool, sharedArray } from ${JSON.stringify(PARALLEL)};
      for (const caller of [false, true]) {
        const pool = await createPool({ workers: 2, caller });
        const x = caller ? pool.allocate('float32', 8 * 100).view() : sharedArray(8 * 100);
        x.fill(0.5);
        console.log(await pool.softmaxCrossEntropy(x, new Int32Array(8), { classes: 100 }));
      }`;
    const dir = mkdtempSync(join(tmpdir(), 'xent-pool-'));
    writeFileSync(join(dir, 'idle.mjs'), code);
    const out = execFileSync(process.execPath, [join(dir, 'idle.mjs')], { timeout: 30_000, encoding: 'utf8' });
    rmSync(dir, { recursive: true });
    expect(out.trim().split('\n').map(Number)).toEqual([Math.log(100), Math.log(100)]);
  });
});

describe('Pool.allocate: arrays in the pool\'s shared wasm memory', () => {
  const simd = [{}, { relaxedSimd: false }] as const;

  it('are read in place, reused after free(), and stay valid while memory grows', async () => {
    for (const init of simd) {
      await xent.init(init);
      const pool = await par.createPool({ workers: 2, caller: true });
      expect(pool.inPlace).toBe(true);
      const { x, labels } = batch(40, 3000, 77, true, false);
      const options = { classes: 3000, reduction: 'none' as const, ignoreIndex: -100 };
      const want = bits(xent.softmaxCrossEntropy(x, labels, options) as Float64Array);
      const a = inPool(pool, x);
      const view = a.view();
      expect(a.view()).toBe(view); // one array: shared memory never detaches it
      expect(view.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(bits(await pool.softmaxCrossEntropy(view, labels, options))).toEqual(want);
      // Memory grows by 64 MiB and more: the first array, on the older buffer, is still read in place.
      const big = pool.allocate('float64', 12_000_000);
      expect(big.view().buffer.byteLength).toBeGreaterThan(view.buffer.byteLength);
      big.view().fill(1);
      expect(bits(await pool.softmaxCrossEntropy(view, labels, options))).toEqual(want);
      // A row window of the big array: uniform logits, log(classes) per row.
      const wide = big.view().subarray(5, 5 + 4 * 3000);
      expect(Array.from(await pool.softmaxCrossEntropy(wide, [0, 1, 2, 2999], { classes: 3000, reduction: 'none' }) as Float64Array))
        .toEqual(Array.from(xent.softmaxCrossEntropy(wide.slice(), [0, 1, 2, 2999], { classes: 3000, reduction: 'none' }) as Float64Array));
      // Freed memory is given to the next allocation that fits; free() twice is harmless.
      const at = view.byteOffset;
      a.free();
      a.free();
      const b = pool.allocate('float32', 100);
      expect(b.view().byteOffset).toBe(at);
      // The same logits in a SharedArrayBuffer of their own are copied, as before.
      const c = inPool(pool, x);
      const copy = par.sharedArray(x.length) as Float32Array;
      copy.set(c.view());
      expect(bits(await pool.softmaxCrossEntropy(copy, labels, options))).toEqual(want);
      expect(bits(await pool.softmaxCrossEntropy(c.view(), labels, options))).toEqual(want);
      // An empty array.
      expect(pool.allocate('float32', 0).view()).toHaveLength(0);
      await pool.close();
      // After close(): no more allocations.
      expect(() => pool.allocate('float32', 4)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    }
  });

  it('extreme logits (masked with -Infinity, ±3e38, a whole row masked, the label masked) as the one-thread call', async () => {
    for (const init of simd) {
      await xent.init(init);
      const pool = await par.createPool({ workers: 2, caller: true });
      for (const f32 of [true, false]) {
        const cols = 151_936;
        const { x, labels } = batch(6, cols, 21, f32, false);
        for (let i = 0; i < x.length; i += 3) x[i] = -Infinity;
        x[cols + 5] = 3e38;
        x[2 * cols + 7] = -3e38;
        x.fill(-Infinity, 3 * cols, 4 * cols); // a whole row masked: NON_FINITE unless the row is ignored
        labels[3] = 0; // and below, row 4's label on a masked logit: an infinite loss
        const a = inPool(pool, x);
        for (const ys of [labels.map((y, r) => (r === 3 ? -100 : y)), labels, labels.map((y, r) => (r === 4 ? 2 : y))]) {
          for (const options of [{ classes: cols, ignoreIndex: -100 }, { classes: cols, reduction: 'none' as const, temperature: 3, ignoreIndex: -100 }]) {
            const outcome = async (f: () => unknown) => {
              try {
                return bits(await f() as number | Float64Array);
              } catch (e) {
                return `${(e as { code: string }).code}: ${(e as Error).message}`;
              }
            };
            const want = await outcome(() => xent.softmaxCrossEntropy(x, ys, options));
            expect(await outcome(() => pool.softmaxCrossEntropy(a.view(), ys, options)), `${f32} ${JSON.stringify(options)}`).toEqual(want);
          }
        }
      }
      await pool.close();
    }
  });

  it('half bits (float16, bfloat16) in place: the one-thread bits on 1-3 workers and with the caller', async () => {
    for (const init of simd) {
      await xent.init(init);
      const pools = [];
      for (const [workers, caller] of [[1, false], [3, false], [1, true], [2, true]] as const) pools.push(await par.createPool({ workers, caller }));
      for (const format of ['float16', 'bfloat16'] as const) {
        for (const [rows, cols] of [[37, 1000], [1, 5000], [3, 151_936]]) {
          const x = logitBits(rows, cols, format, rows * 31 + cols, true);
          const labels = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 2 ? -100 : (r * 7919) % cols));
          for (const options of [
            { classes: cols, ignoreIndex: -100, dtype: format }, { classes: cols, reduction: 'none' as const, temperature: 0.7, ignoreIndex: -100, dtype: format },
          ]) {
            const want = bits(xent.softmaxCrossEntropy(x, labels, options) as number | Float64Array);
            for (const pool of pools) {
              const a = pool.allocate(format, x.length);
              expect(a.resident).toBe(true);
              expect(a.view()).toBeInstanceOf(Uint16Array);
              a.view().set(x);
              expect(bits(await pool.softmaxCrossEntropy(a.view(), labels, options)), `${pool.workers} ${format} ${rows}×${cols}`).toEqual(want);
              a.free();
            }
            // Half bits that are not in the pool's memory are the one-thread call's.
            expect(bits(await pools[0].softmaxCrossEntropy(x, labels, options))).toEqual(want);
          }
          // A label out of range, a NaN: the one-thread call's error.
          const a = pools[2].allocate(format, x.length);
          a.view().set(x);
          a.view()[rows * cols - 1] = format === 'float16' ? 0x7e00 : 0x7fc0;
          for (const ys of [labels.map((y, r) => (r === rows - 1 ? cols : y)), labels.map((y, r) => (r === rows - 1 ? 0 : y))]) {
            const options = { classes: cols, ignoreIndex: -100, dtype: format };
            let want = '';
            try {
              xent.softmaxCrossEntropy(a.view(), ys, options);
            } catch (e) {
              want = (e as Error).message;
            }
            expect(want).not.toBe('');
            await expect(pools[2].softmaxCrossEntropy(a.view(), ys, options)).rejects.toThrow(want);
          }
        }
      }
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it('maxMemory caps the shared memory (OUT_OF_MEMORY past it); bad arguments are INVALID_OPTION', async () => {
    await xent.init();
    const pool = await par.createPool({ workers: 1, maxMemory: 1 << 20 });
    expect(pool.inPlace).toBe(true);
    const a = pool.allocate('float32', 100_000);
    expect(() => pool.allocate('float32', 300_000)).toThrow(expect.objectContaining({ code: 'OUT_OF_MEMORY', message: expect.stringContaining('maxMemory') }));
    a.free();
    expect(pool.allocate('float32', 200_000).resident).toBe(true);
    for (const [dtype, length] of [['float8', 4], ['int32', 4], ['float32', -1], ['float32', 1.5], ['float64', NaN]] as const) {
      expect(() => pool.allocate(dtype as 'float32', length)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
    await pool.close();
    for (const maxMemory of [0, 1000, -1, NaN, '1e9']) {
      await expect(par.createPool({ workers: 1, maxMemory: maxMemory as number })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('maxMemory') });
    }
  });

  it('without the shared-memory build (not found here), allocate() gives SharedArrayBuffer arrays, copied as before', async () => {
    await xent.init();
    const pool = await par.createPool({ workers: 2, wasmUrl: new URL('./no-such-folder/', import.meta.url) });
    expect(pool.inPlace).toBe(false);
    const { x, labels } = batch(9, 4000, 5, false, false);
    const a = inPool(pool, x);
    expect(a.resident).toBe(false);
    expect(a.view().buffer).toBeInstanceOf(SharedArrayBuffer);
    const options = { classes: 4000, ignoreIndex: -100 };
    expect(bits(await pool.softmaxCrossEntropy(a.view(), labels, options))).toEqual(bits(xent.softmaxCrossEntropy(x, labels, options) as number));
    const h = pool.allocate('bfloat16', 9 * 4000);
    expect(h.resident).toBe(false);
    h.view().set(logitBits(9, 4000, 'bfloat16', 3));
    const half = { ...options, dtype: 'bfloat16' as const };
    expect(bits(await pool.softmaxCrossEntropy(h.view(), labels, half))).toEqual(bits(xent.softmaxCrossEntropy(h.view(), labels, half) as number));
    await pool.close();
  });
});
