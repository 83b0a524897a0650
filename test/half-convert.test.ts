/**
 * Half precision, the mechanism: every float16 and bfloat16 bit pattern widened by every backend against NumPy's
 * conversion (test/fixtures/half.json, written by scripts/half_fixtures.py), through the kernels' own conversion,
 * through a kernel call and, on wasm, into float64; the fused half kernels against the widening path, across the
 * chunk window; zero-copy half arrays; a 262,144-wide row; half input mixed with float64.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import {
  type EvalResult, Evaluator, allocate, backend, crossEntropy, logSumExp, softmax, softmaxCrossEntropy,
} from '../src/index.js';
import { HalfArray } from '../src/core/dtype.js';
import { kernels } from '../src/backend/select.js';
import { CHUNK_BYTES, WasmKernels } from '../src/backend/wasm.js';
import { describeBackends, expectClose } from './helpers.js';
import * as ref from './reference.js';
import { type Format, KINDS, decode, decodeAll, distributionBits, logitBits, rowsOf } from './half-data.js';

interface Table {
  sha256: string;
  spots: Record<string, string>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/half.json', import.meta.url), 'utf8')) as Record<Format, Table>;
const FORMATS: Format[] = ['float16', 'bfloat16'];
const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);
const hex = (v: number, n: number) => v.toString(16).padStart(n, '0');

/** The float32 patterns of `out` checked against the fixture: the spot values first (they name a culprit), then the digest. */
function expectTable(out: Float32Array | Uint32Array, format: Format, what: string): void {
  const u = out instanceof Uint32Array ? out : new Uint32Array(out.buffer, out.byteOffset, out.length);
  const { sha256, spots } = fixture[format];
  for (const [h, f] of Object.entries(spots)) {
    expect(hex(u[parseInt(h, 16)], 8), `${what}: ${format} 0x${h}`).toBe(f);
  }
  expect(createHash('sha256').update(new Uint8Array(u.buffer, u.byteOffset, u.byteLength)).digest('hex'), what).toBe(sha256);
}

const wasm = () => (kernels() instanceof WasmKernels ? (kernels() as WasmKernels) : null);

afterEach(() => {
  const k = wasm();
  if (k) {
    k.chunkBytes = CHUNK_BYTES;
    k.fuseHalf = true;
  }
});

it('the test decoder agrees with NumPy on every pattern', () => {
  for (const format of FORMATS) {
    const u = new Uint32Array(decodeAll(ALL, format).buffer);
    // A JS number does not keep a NaN's payload: NaN patterns get theirs as the formats define it (the payload is
    // the float32's top mantissa bits), which NumPy's table then checks.
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(decode(h, format))) u[h] = format === 'bfloat16' ? h << 16 : ((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13);
    }
    expectTable(u, format, 'test decoder');
  }
});

describeBackends('half-precision widening, exhaustive', () => {
  for (const format of FORMATS) {
    it(`${format}: all 65,536 patterns widened by the backend's conversion equal NumPy's`, () => {
      const out = new Float32Array(65536);
      kernels().widen(new HalfArray(ALL.slice(), format), out);
      expectTable(out, format, backend());
    });

    it(`${format}: all non-NaN patterns through a kernel call (logSumExp of one-element rows) are their values`, () => {
      const bits = ALL.filter((h) => !Number.isNaN(decode(h, format)));
      const got = logSumExp(bits, { classes: 1, dtype: format });
      const want = decodeAll(bits, format);
      for (let i = 0; i < bits.length; i++) {
        if (!Object.is(got[i], want[i] === 0 ? 0 : want[i]) && !(got[i] === 0 && want[i] === 0)) {
          expect.fail(`${format} 0x${hex(bits[i], 4)}: got ${got[i]}, expected ${want[i]}`);
        }
      }
    });

    it(`${format}: the wasm conversion to float64 (for calls that run float64) is the float32 value, every pattern`, () => {
      const k = wasm();
      if (!k) return;
      // The module's export, called directly: no public call exposes the widened float64 values one by one.
      const ex = (k as unknown as { ex: Record<string, (...a: number[]) => void> }).ex;
      const src = k.allocate(2 * 65536);
      const dst = k.allocate(8 * 65536);
      new Uint16Array(k.buffer(), src, 65536).set(ALL);
      ex.widen_f64(src, 65536, format === 'float16' ? 1 : 2, dst);
      const wide = new Float64Array(k.buffer(), dst, 65536);
      // Against the test decoder (held to NumPy above); promoting a NaN to float64 may quiet it, so NaN is NaN.
      const want = decodeAll(ALL, format);
      for (let i = 0; i < 65536; i++) {
        const ok = Number.isNaN(want[i]) ? Number.isNaN(wide[i]) : Object.is(wide[i], want[i]);
        if (!ok) expect.fail(`${format} 0x${hex(i, 4)}: got ${wide[i]}, expected ${want[i]}`);
      }
      k.release(src);
      k.release(dst);
    });
  }
});

describeBackends('half-precision kernels', () => {
  const rows = 9;
  const cols = 101;
  const labels = [3, -100, 17, 50, -100, -100, 99, 0, 100];

  for (const format of FORMATS) {
    const bits = logitBits(rows, cols, format, 11);
    const f32 = decodeAll(bits, format);
    const o = { classes: cols, ignoreIndex: -100, reduction: 'none' } as const;

    it(`${format}: fused and widened paths, any chunk window, equal the float32 call on the decoded values`, () => {
      const want = softmaxCrossEntropy(f32, labels, o);
      const ev = new Evaluator({ classes: cols, ignoreIndex: -100 }).update(f32, labels).result();
      const k = wasm();
      for (const fuse of k ? [true, false] : [true]) {
        for (const chunk of k ? [CHUNK_BYTES, 600, 1] : [0]) {
          if (k) {
            k.fuseHalf = fuse;
            k.chunkBytes = chunk;
          }
          const what = `fuse ${fuse}, chunk ${chunk}`;
          expect(softmaxCrossEntropy(bits, labels, { ...o, dtype: format }), what).toEqual(want);
          expect(softmaxCrossEntropy(bits, labels, { ...o, dtype: format, labelSmoothing: 0.1 }), what)
            .toEqual(softmaxCrossEntropy(f32, labels, { ...o, labelSmoothing: 0.1 }));
          expect(new Evaluator({ classes: cols, ignoreIndex: -100 }).update(bits, labels, { dtype: format }).result(), what)
            .toEqual(ev);
          expect(softmax(bits, { classes: cols, dtype: format }), what).toEqual(softmax(f32, { classes: cols }));
        }
      }
    });

    it(`${format}: the loss is the float64 reference's on the decoded values within 1e-6`, () => {
      const got = softmaxCrossEntropy(bits, labels, { ...o, dtype: format }) as Float64Array;
      const want = ref.softmaxCrossEntropy(rowsOf(f32, cols), labels, o) as number[];
      expectClose(got, want, 1e-6);
    });
  }

  it('a 262,144-wide row (Gemma 3) in each half kind: the float32 call on the decoded values, the reference', () => {
    const cols = 262144;
    const y = [123456, 262143];
    const o = { classes: cols, reduction: 'none' } as const;
    // (The Evaluator's headline figures: a deep comparison of 262,144 per-class entries would take seconds.)
    const headline = ({ loss, accuracy, topK, brier, ece, quantiles }: EvalResult) => ({ loss, accuracy, topK, brier, ece, quantiles });
    for (const format of FORMATS) {
      const bits = logitBits(2, cols, format, 5);
      const f32 = decodeAll(bits, format);
      const want = softmaxCrossEntropy(f32, y, o);
      if (format === 'float16') expectClose(want, ref.softmaxCrossEntropy(rowsOf(f32, cols), y, { reduction: 'none' }) as number[], 1e-6);
      const ev = headline(new Evaluator({ classes: cols }).update(f32, y).result());
      for (const kind of KINDS.filter((k) => k.format === format)) {
        expect(softmaxCrossEntropy(kind.make(bits) as Uint16Array, y, { ...o, ...kind.opts }), kind.name).toEqual(want);
        expect(headline(new Evaluator({ classes: cols }).update(kind.make(bits) as Uint16Array, y, kind.opts).result())).toEqual(ev);
      }
    }
  });

  it('zero-copy half arrays: allocate() views need no dtype, are read in place, and a contradicting dtype is refused', () => {
    // Every row length modulo 4: the fused kernels' two scratch rows are rounded up to 16 bytes each, and with the
    // logits resident the labels are copied right after them.
    for (const cols of [36, 37, 38, 39]) {
      for (const format of FORMATS) {
        const bits = logitBits(6, cols, format, 9);
        const a = allocate(format, bits.length);
        expect(a.resident).toBe(kernels() instanceof WasmKernels);
        a.view().set(bits);
        const v = a.view();
        expect(v).toBeInstanceOf(Uint16Array);
        const y = [1, 2, 3, 0, 5, cols - 1];
        const o = { classes: cols, reduction: 'none' } as const;
        expect(softmaxCrossEntropy(v, y, o)).toEqual(softmaxCrossEntropy(decodeAll(bits, format), y, o));
        expect(() => softmaxCrossEntropy(a.view(), y, { classes: cols, dtype: format === 'float16' ? 'bfloat16' : 'float16' }))
          .toThrow(/allocated as/);
        expect(a.view()).toEqual(bits); // not written
        a.free();
      }
    }
  });

  it('half mixed with float64 runs float64 (the bits widened straight to float64): the Float64Array call', () => {
    for (const format of FORMATS) {
      const p = distributionBits(3, 40, format, 21);
      const q = Float64Array.from(decodeAll(distributionBits(3, 40, format, 22), format), (v) => v * 0.999 + 0.001 / 40);
      const o = { classes: 40, reduction: 'none' } as const;
      expect(crossEntropy(p, q, { ...o, dtype: format })).toEqual(crossEntropy(Float64Array.from(decodeAll(p, format)), q, o));
    }
  });
});
